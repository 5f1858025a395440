import type { EtaAccuracy, HorizonFigures } from './etaAccuracy.js'
import type { Baseline } from '../../protocol/NaiveEtas.js'

/** The estimators as the tables name them, engine first. */
export const ESTIMATORS: ReadonlyArray<[key: 'engine' | Baseline, name: string]> = [
  ['engine', 'engine'],
  ['straightLine', 'straight line'],
  ['stillAirRoute', 'route in still air'],
]

const num = (v: number | null): string => (v === null ? 'no data' : String(v))
const pct = (v: number | null): string => (v === null ? 'no data' : `${(v * 100).toFixed(1)} %`)

/** The ETA accuracy table as text lines: error and window coverage of each estimator at 1, 5 and 10 min before arrival. */
export function etaAccuracyLines(a: EtaAccuracy): string[] {
  const row = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd([14, 20, 9, 9, 11][i] ?? 0))
      .join(' ')
      .trimEnd()
  const lines = [row(['ETA', 'estimator', 'MAE s', 'P90 s', 'in window', 'n'])]
  for (const h of a.horizons) {
    for (const [k, name] of ESTIMATORS) {
      const f: HorizonFigures = h[k]
      lines.push(row([k === 'engine' ? `${h.minutesBefore} min before` : '', name, num(f.maeS), num(f.p90S), pct(f.coverage), String(f.n)]))
    }
  }
  const c = a.coverage
  lines.push(
    `engine window coverage at 1, 5 and 10 min: ${pct(c.rate)}${c.low === null ? '' : ` (95 % interval ${pct(c.low)} to ${pct(c.high)})`}, n ${c.n}; baselines' window: the fixed band`,
  )
  return lines
}
