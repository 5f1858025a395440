import { allHeld } from '../sim/report/runResults.js'
import { type Simulated, simulate, type SimulateOptions } from '../service/simulate.js'
import { ExitCodes } from './exitCodes.js'
import { formatSummary } from './formatSummary.js'
import { createProgress } from './progress.js'

/**
 * `run` and `sim`: flies the scenario with a progress bar on stderr, prints the
 * summary; exit 0 when every `expect` held, else 1. Ctrl-C (SIGINT) ends the
 * run after the tick in progress and still writes the results and prints the
 * summary of what was flown (exit 130); a second Ctrl-C quits at once.
 */
export async function simulateWithProgress(o: Omit<SimulateOptions, 'onTick' | 'signal'>): Promise<number> {
  const progress = createProgress(o.scenario.name)
  const stop = new AbortController()
  const onSigint = (): void => {
    if (stop.signal.aborted) {
      process.stderr.write('\ninterrupted again: quitting without results\n')
      process.exit(ExitCodes.INTERRUPTED)
    }
    progress.stop()
    process.stderr.write('\ninterrupted: finishing the tick in progress and writing the results so far (Ctrl-C again to quit now)\n')
    stop.abort()
  }
  process.on('SIGINT', onSigint)
  let done: Simulated
  try {
    const onTick: SimulateOptions['onTick'] = (p) => {
      if (!stop.signal.aborted) progress.update(p)
    }
    done = await simulate({ ...o, onTick, signal: stop.signal })
  } finally {
    process.off('SIGINT', onSigint)
    progress.stop()
  }
  process.stdout.write(formatSummary(done.results, done.outDir))
  if (done.results.wallClock.interrupted) return ExitCodes.INTERRUPTED
  return allHeld(done.results) ? ExitCodes.OK : ExitCodes.CHECK_FAILED
}
