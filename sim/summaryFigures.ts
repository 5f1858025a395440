/**
 * The figures of a run's summary, by the names that `expect:` blocks, the
 * summary table and results.json all use. The last two are wall-clock
 * figures: they live in results.json's `wallClock` section (they differ
 * between identical runs) but `expect:` can test them all the same.
 */
export const SUMMARY_FIGURES = {
  requested: 'delivery requests submitted',
  completed: 'deliveries completed',
  failed: 'deliveries failed',
  cancelled: 'deliveries cancelled',
  completionRate: 'completed / requested, 0..1',
  onTime: 'deliveries completed by their deadline',
  onTimeRate: 'on time / requested, 0..1',
  meanDeliveryTimeS: 'mean time from request to completion, s',
  deliveryTimeP50S: 'median time from request to completion, s',
  deliveryTimeP95S: '95th percentile of time from request to completion, s',
  deliveryTimeP99S: '99th percentile of time from request to completion, s',
  meanEtaErrorS: 'mean |ETA predicted at assignment - actual arrival|, s',
  etaErrorAt1MinS: 'mean |ETA predicted 1 min before arrival - actual arrival|, s',
  etaErrorAt5MinS: 'mean |ETA predicted 5 min before arrival - actual arrival|, s',
  etaErrorAt10MinS: 'mean |ETA predicted 10 min before arrival - actual arrival|, s',
  utilization: 'share of drone time spent on missions, 0..1',
  whPerDelivery: 'energy drawn by the fleet per completed delivery, Wh',
  refusals: 'commands drones refused (battery reserve or wind)',
  droneFailures: 'drones that failed (faults or empty batteries)',
  realTimeFactor: 'simulated seconds per wall-clock second (wall clock)',
  samplesPerS: 'telemetry samples published per wall-clock second (wall clock)',
} as const

export type SummaryFigure = keyof typeof SUMMARY_FIGURES

/**
 * Figures that are ratios, means or percentiles over a set that can be empty,
 * each with what an empty set means. Over an empty set the figure is `null`,
 * "no data": a 0 would read as a perfect ETA or an instant delivery, and an
 * `expect:` threshold would pass on nothing.
 */
export const NO_DATA_WHEN = {
  completionRate: 'no delivery was requested',
  onTimeRate: 'no delivery was requested',
  meanDeliveryTimeS: 'no delivery completed',
  deliveryTimeP50S: 'no delivery completed',
  deliveryTimeP95S: 'no delivery completed',
  deliveryTimeP99S: 'no delivery completed',
  meanEtaErrorS: 'no completed delivery had an ETA at assignment',
  etaErrorAt1MinS: 'no completed delivery had a prediction 1 min before its arrival',
  etaErrorAt5MinS: 'no completed delivery had a prediction 5 min before its arrival',
  etaErrorAt10MinS: 'no completed delivery had a prediction 10 min before its arrival (none took that long after assignment)',
  utilization: 'the fleet had no drone time',
  whPerDelivery: 'no delivery completed',
} as const satisfies Partial<Record<SummaryFigure, string>>

type WallFigure = 'realTimeFactor' | 'samplesPerS'
type MayBeEmpty = keyof typeof NO_DATA_WHEN

/** The figures that repeat exactly for the same scenario and seed; null means "no data" (NO_DATA_WHEN). */
export type Summary = Record<Exclude<SummaryFigure, WallFigure | MayBeEmpty>, number> & Record<MayBeEmpty, number | null>

/** How a summary figure reads in the table and the report: its value, or "no data". */
export function formatFigure(v: number | null | undefined): string {
  return v === null || v === undefined ? 'no data' : String(v)
}

export function isSummaryFigure(name: string): name is SummaryFigure {
  return Object.hasOwn(SUMMARY_FIGURES, name)
}
