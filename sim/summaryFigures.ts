/**
 * The figures of a run's summary, by the names that `expect:` blocks, the
 * summary table and results.json all use.
 */
export const SUMMARY_FIGURES = {
  requested: 'delivery requests submitted',
  completed: 'deliveries completed',
  failed: 'deliveries failed',
  completionRate: 'completed / requested, 0..1',
  onTime: 'deliveries completed by their deadline',
  onTimeRate: 'on time / requested, 0..1',
  meanDeliveryTimeS: 'mean time from request to completion, s',
  meanEtaErrorS: 'mean |ETA predicted at assignment - actual arrival|, s',
} as const

export type SummaryFigure = keyof typeof SUMMARY_FIGURES
export type Summary = Record<SummaryFigure, number>

export function isSummaryFigure(name: string): name is SummaryFigure {
  return Object.hasOwn(SUMMARY_FIGURES, name)
}
