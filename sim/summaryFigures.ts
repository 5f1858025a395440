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
/** The figures that repeat exactly for the same scenario and seed. */
export type Summary = Record<Exclude<SummaryFigure, 'realTimeFactor' | 'samplesPerS'>, number>

export function isSummaryFigure(name: string): name is SummaryFigure {
  return Object.hasOwn(SUMMARY_FIGURES, name)
}
