import type { DeliveryResult } from './DeliveryResult.js'
import { BASELINES, type Baseline } from '../../protocol/NaiveEtas.js'

/** Times before arrival at which ETA error is measured, s. */
export const ETA_HORIZONS_S = [60, 300, 600] as const

/** How good one estimator's ETAs were at one horizon. */
export interface HorizonFigures {
  /** Deliveries with a prediction that long before arrival. */
  n: number
  /** Mean and 90th percentile of |predicted − actual|, s; null with no prediction. */
  maeS: number | null
  p90S: number | null
  /** Share of arrivals inside the prediction's P10–P90 window; null with no prediction. */
  coverage: number | null
}

/** A share with its 95 % Wilson interval. */
export interface Share {
  n: number
  inside: number
  rate: number | null
  low: number | null
  high: number | null
}

/** results.json `etaAccuracy`: the engine against the naive baselines, at each horizon; and the engine's window coverage over all horizons. */
export interface EtaAccuracy {
  horizons: Array<{ minutesBefore: number; engine: HorizonFigures } & Record<Baseline, HorizonFigures>>
  /** The engine's P10–P90 window at 1, 5 and 10 min before arrival, pooled. */
  coverage: Share
}

const round1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10)
const round3 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000)

/** The q-quantile of sorted values, interpolated between order statistics. */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(sorted.length - 1, lo + 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

/**
 * The Wilson score interval of a share at 95 %: unlike p ± 1.96·√(p(1−p)/n)
 * it stays inside 0..1 and is honest with few arrivals or a share near 0 or 1.
 */
export function wilson(inside: number, n: number, z = 1.96): Share {
  if (n === 0) return { n, inside, rate: null, low: null, high: null }
  const p = inside / n
  const z2 = z * z
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n)
  return { n, inside, rate: round3(p), low: round3(Math.max(0, centre - half)), high: round3(Math.min(1, centre + half)) }
}

interface Prediction {
  at: number
  p10: number
  p90: number
}

/** The engine's prediction of a completed delivery `h` seconds before its arrival, with its window, or null. */
function engineAt(d: DeliveryResult, h: number): Prediction | null {
  const at = d.predictedEta[String(h)]
  const w = d.predictedWindow?.[String(h)]
  return typeof at === 'number' && w ? { at, p10: w.p10, p90: w.p90 } : null
}

function baselineAt(d: DeliveryResult, b: Baseline, h: number): Prediction | null {
  return d.baselineEta?.[b]?.[String(h)] ?? null
}

function figures(actuals: number[], preds: Prediction[]): HorizonFigures & { inside: number } {
  if (preds.length === 0) return { n: 0, maeS: null, p90S: null, coverage: null, inside: 0 }
  const errs = preds.map((p, i) => Math.abs(p.at - actuals[i]!) / 1000).sort((a, b) => a - b)
  const inside = preds.filter((p, i) => p.p10 <= actuals[i]! && actuals[i]! <= p.p90).length
  return {
    n: preds.length,
    maeS: round1(errs.reduce((a, b) => a + b, 0) / errs.length),
    p90S: round1(quantile(errs, 0.9)),
    coverage: round3(inside / preds.length),
    inside,
  }
}

/**
 * The engine's ETAs against the two naive baselines on the completed
 * deliveries, at 1, 5 and 10 min before each arrival (the last prediction at
 * or before then). Each estimator is measured on its own predictions; the
 * engine's coverage pools the three horizons, with its Wilson interval
 * (predictions of one delivery at different horizons are not independent,
 * so the interval is, if anything, too narrow).
 */
export function etaAccuracy(all: readonly DeliveryResult[]): EtaAccuracy {
  const done = all.filter((d) => d.completedAt !== null)
  let inside = 0
  let n = 0
  const horizons = ETA_HORIZONS_S.map((h) => {
    const per = (pick: (d: DeliveryResult) => Prediction | null): HorizonFigures & { inside: number } => {
      const actual: number[] = []
      const preds: Prediction[] = []
      for (const d of done) {
        const p = pick(d)
        if (p) [actual[actual.length], preds[preds.length]] = [d.completedAt as number, p]
      }
      return figures(actual, preds)
    }
    const { inside: hit, ...engine } = per((d) => engineAt(d, h))
    n += engine.n
    inside += hit
    const row = { minutesBefore: h / 60, engine } as EtaAccuracy['horizons'][number]
    for (const b of BASELINES) {
      const { inside: _, ...f } = per((d) => baselineAt(d, b, h))
      row[b] = f
    }
    return row
  })
  return { horizons, coverage: wilson(inside, n) }
}

/** Mean |error| of the engine and of a baseline over the deliveries both predicted `h` s before arrival: how many times better the engine is; null without any. */
export function gainOver(all: readonly DeliveryResult[], b: Baseline, h: number): number | null {
  let engine = 0
  let base = 0
  for (const d of all) {
    if (d.completedAt === null) continue
    const e = engineAt(d, h)
    const n = baselineAt(d, b, h)
    if (!e || !n) continue
    engine += Math.abs(e.at - d.completedAt)
    base += Math.abs(n.at - d.completedAt)
  }
  if (base === 0 && engine === 0) return null
  return engine === 0 ? null : Math.round((base / engine) * 100) / 100
}
