import type { ExpectationFailure } from './checkExpectations.js'
import type { DeliveryResult } from './ResultsCollector.js'
import type { Depot, Scenario } from './Scenario.js'
import type { SimRunStats } from './Simulator.js'
import type { Summary } from './summaryFigures.js'

/** What `results.json` holds. `wallClock` is the only part that varies between identical runs. */
export interface RunResults {
  scenario: { name: string; seed: number; hash: string; durationS: number; drones: number }
  summary: Summary
  expectations: Array<{ text: string; ok: boolean }>
  deliveries: readonly DeliveryResult[]
  depots: Depot[]
  wallClock: { wallMs: number; realTimeFactor: number; samplesPerS: number; workers: number }
}

export function buildRunResults(
  s: Scenario,
  summary: Summary,
  failures: readonly ExpectationFailure[],
  deliveries: RunResults['deliveries'],
  stats: SimRunStats,
  workers: number,
): RunResults {
  return {
    scenario: { name: s.name, seed: s.seed, hash: s.hash, durationS: s.durationS, drones: s.depots.reduce((n, d) => n + d.drones, 0) },
    summary,
    expectations: s.expect.map((e) => {
      const f = failures.find((x) => x.line === e.line && x.figure === e.figure)
      return { text: f ? f.message : `expect ${e.figure} ${e.op} ${e.value}: holds (${summary[e.figure as keyof Summary]})`, ok: !f }
    }),
    deliveries,
    depots: s.depots,
    wallClock: { wallMs: stats.wallMs, realTimeFactor: stats.realTimeFactor, samplesPerS: stats.samplesPerS, workers },
  }
}
