import cliProgress from 'cli-progress'
import type { SimProgress } from '../sim/Simulator.js'

/**
 * Progress on stderr: a live bar on a terminal, a line every 10 % otherwise
 * (CI logs, pipes), so stdout stays clean for the summary.
 */
export function createProgress(label: string): { update(p: SimProgress): void; stop(): void } {
  const stream = process.stderr
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | sim {clock} | {requested} requested | {eta}s left`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    )
    let started = false
    return {
      update(p) {
        const payload = { clock: new Date(p.t).toISOString().slice(11, 19), requested: p.requested }
        if (!started) {
          bar.start(p.ticks, 0, payload)
          started = true
        }
        bar.update(p.tick, payload)
      },
      stop() {
        if (started) bar.stop()
        started = false
      },
    }
  }
  let lastDecile = -1
  return {
    update(p) {
      const decile = Math.floor((p.tick / p.ticks) * 10)
      if (decile === lastDecile) return
      lastDecile = decile
      stream.write(`${label}: ${decile * 10}% (sim ${new Date(p.t).toISOString().slice(11, 19)}, ${p.requested} requested)\n`)
    },
    stop() {},
  }
}
