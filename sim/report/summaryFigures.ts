import { formatDuration } from './formatDuration.js'

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
  inFlight: 'deliveries neither completed, failed nor cancelled when the run ended (waiting for a drone or on their way)',
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
  etaP90ErrorAt1MinS: '90th percentile of |ETA predicted 1 min before arrival - actual arrival|, s',
  etaP90ErrorAt5MinS: '90th percentile of |ETA predicted 5 min before arrival - actual arrival|, s',
  etaP90ErrorAt10MinS: '90th percentile of |ETA predicted 10 min before arrival - actual arrival|, s',
  etaCoverage: 'share of arrivals inside the P10-P90 window predicted 1, 5 and 10 min before, 0..1',
  etaCoverageLow: 'lower end of the 95 % Wilson interval of etaCoverage, 0..1',
  etaCoverageHigh: 'upper end of the 95 % Wilson interval of etaCoverage, 0..1',
  straightLineEtaErrorAt5MinS: 'the same as etaErrorAt5MinS for a baseline: straight lines at cruise speed, still air, the profile, s',
  stillAirEtaErrorAt5MinS: 'the same as etaErrorAt5MinS for a baseline: the routes round no-fly zones at cruise speed in still air, s',
  etaGainAt5Min: 'straight-line baseline mean error / engine mean error, 5 min before arrival, over deliveries both predicted',
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
  etaP90ErrorAt1MinS: 'no completed delivery had a prediction 1 min before its arrival',
  etaP90ErrorAt5MinS: 'no completed delivery had a prediction 5 min before its arrival',
  etaP90ErrorAt10MinS: 'no completed delivery had a prediction 10 min before its arrival (none took that long after assignment)',
  etaCoverage: 'no completed delivery had a prediction 1, 5 or 10 min before its arrival',
  etaCoverageLow: 'no completed delivery had a prediction 1, 5 or 10 min before its arrival',
  etaCoverageHigh: 'no completed delivery had a prediction 1, 5 or 10 min before its arrival',
  straightLineEtaErrorAt5MinS: 'no completed delivery had a tracking message 5 min before its arrival',
  stillAirEtaErrorAt5MinS: 'no completed delivery had a tracking message 5 min before its arrival',
  etaGainAt5Min: 'no completed delivery had both predictions 5 min before its arrival, or the engine was exact',
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

type Unit = 'count' | 'ratio' | 's' | 'Wh' | 'x' | 'times' | '/s'

/** Each figure's label in the printed summary, and how its value reads there. */
export const FIGURE_LABELS: Readonly<Record<SummaryFigure, { label: string; unit: Unit }>> = {
  requested: { label: 'requested', unit: 'count' },
  completed: { label: 'completed', unit: 'count' },
  failed: { label: 'failed', unit: 'count' },
  cancelled: { label: 'cancelled', unit: 'count' },
  inFlight: { label: 'still in flight at the end', unit: 'count' },
  completionRate: { label: 'completion rate', unit: 'ratio' },
  onTime: { label: 'on time', unit: 'count' },
  onTimeRate: { label: 'on-time rate', unit: 'ratio' },
  meanDeliveryTimeS: { label: 'delivery time, mean', unit: 's' },
  deliveryTimeP50S: { label: 'delivery time, median', unit: 's' },
  deliveryTimeP95S: { label: 'delivery time, 95th pct', unit: 's' },
  deliveryTimeP99S: { label: 'delivery time, 99th pct', unit: 's' },
  meanEtaErrorS: { label: 'ETA error, promised', unit: 's' },
  etaErrorAt1MinS: { label: 'ETA error, 1 min before', unit: 's' },
  etaErrorAt5MinS: { label: 'ETA error, 5 min before', unit: 's' },
  etaErrorAt10MinS: { label: 'ETA error, 10 min before', unit: 's' },
  etaP90ErrorAt1MinS: { label: 'ETA error, 1 min before, 90th pct', unit: 's' },
  etaP90ErrorAt5MinS: { label: 'ETA error, 5 min before, 90th pct', unit: 's' },
  etaP90ErrorAt10MinS: { label: 'ETA error, 10 min before, 90th pct', unit: 's' },
  etaCoverage: { label: 'arrivals in the P10-P90 window', unit: 'ratio' },
  etaCoverageLow: { label: 'arrivals in the window, 95 % low', unit: 'ratio' },
  etaCoverageHigh: { label: 'arrivals in the window, 95 % high', unit: 'ratio' },
  straightLineEtaErrorAt5MinS: { label: 'straight-line ETA error, 5 min before', unit: 's' },
  stillAirEtaErrorAt5MinS: { label: 'still-air ETA error, 5 min before', unit: 's' },
  etaGainAt5Min: { label: 'ETA gain over straight line, 5 min before', unit: 'times' },
  utilization: { label: 'fleet utilization', unit: 'ratio' },
  whPerDelivery: { label: 'energy per delivery', unit: 'Wh' },
  refusals: { label: 'commands refused', unit: 'count' },
  droneFailures: { label: 'drones failed', unit: 'count' },
  realTimeFactor: { label: 'speed', unit: 'x' },
  samplesPerS: { label: 'telemetry samples', unit: '/s' },
}

/** A figure's value with its unit, as the printed summary shows it: "93.3 %", "8 min 12 s", "45.2 Wh", or "no data". */
export function formatFigureValue(name: SummaryFigure, v: number | null | undefined): string {
  if (v === null || v === undefined) return 'no data'
  switch (FIGURE_LABELS[name].unit) {
    case 'count':
      return v.toLocaleString('en-US')
    case 'ratio':
      return `${Math.round(v * 1000) / 10} %`
    case 's':
      return formatDuration(v)
    case 'Wh':
      return `${v} Wh`
    case 'x':
      return `${v}× real time`
    case 'times':
      return `${v}×`
    case '/s':
      return `${v.toLocaleString('en-US')}/s`
  }
}

export function isSummaryFigure(name: string): name is SummaryFigure {
  return Object.hasOwn(SUMMARY_FIGURES, name)
}
