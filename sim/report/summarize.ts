import * as hdr from 'hdr-histogram-js'
import { isTerminal } from '../../protocol/events.js'
import type { DeliveryResult } from './DeliveryResult.js'
import { etaAccuracy, gainOver } from './etaAccuracy.js'
import type { Summary } from './summaryFigures.js'

/** What the fleet did over the run, from the simulator's counters. */
export interface FleetTotals {
  drones: number
  /** Simulated seconds flown. */
  durationS: number
  busyS: number
  energyWh: number
  refusals: number
  failedDrones: number
}

const NO_FLEET: FleetTotals = { drones: 0, durationS: 0, busyS: 0, energyWh: 0, refusals: 0, failedDrones: 0 }

const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d
/** Over nothing there is no figure: null, which results.json keeps and the report shows as "no data". */
const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
const ratio = (num: number, den: number): number | null => (den ? num / den : null)
const rounded = (v: number | null, d = 3): number | null => (v === null ? null : round(v, d))

/** The summary figures of a run: pure over its deliveries and fleet totals. Figures over an empty set are null (NO_DATA_WHEN). */
export function summarize(all: readonly DeliveryResult[], fleet: FleetTotals = NO_FLEET): Summary {
  const done = all.filter((r) => r.completedAt !== null)
  const onTime = done.filter((r) => r.onTime).length
  const times = done.map((r) => ((r.completedAt as number) - r.requestedAt) / 1000)
  // Percentiles from an HDR histogram at 0.1 s resolution, 3 significant digits.
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10 * 86_400 * 10, numberOfSignificantValueDigits: 3 })
  for (const s of times) h.recordValue(Math.max(1, Math.round(s * 10)))
  const pct = (q: number): number | null => (times.length ? round(h.getValueAtPercentile(q) / 10, 1) : null)
  const acc = etaAccuracy(all)
  const etaAt = (horizonS: number): number | null =>
    rounded(
      mean(
        done.flatMap((r) => {
          const p = r.predictedEta[String(horizonS)]
          return typeof p === 'number' ? [Math.abs(p - (r.completedAt as number)) / 1000] : []
        }),
      ),
      1,
    )
  return {
    requested: all.length,
    completed: done.length,
    failed: all.filter((r) => r.status === 'Failed').length,
    cancelled: all.filter((r) => r.status === 'Cancelled').length,
    inFlight: all.filter((r) => !isTerminal(r.status)).length,
    completionRate: rounded(ratio(done.length, all.length)),
    onTime,
    onTimeRate: rounded(ratio(onTime, all.length)),
    meanDeliveryTimeS: rounded(mean(times), 1),
    deliveryTimeP50S: pct(50),
    deliveryTimeP95S: pct(95),
    deliveryTimeP99S: pct(99),
    meanEtaErrorS: rounded(
      mean(
        done
          .filter((r) => r.etaAtAssignment !== null)
          .map((r) => Math.abs((r.etaAtAssignment as number) - (r.completedAt as number)) / 1000),
      ),
      1,
    ),
    etaErrorAt1MinS: etaAt(60),
    etaErrorAt5MinS: etaAt(300),
    etaErrorAt10MinS: etaAt(600),
    etaP90ErrorAt1MinS: acc.horizons[0]!.engine.p90S,
    etaP90ErrorAt5MinS: acc.horizons[1]!.engine.p90S,
    etaP90ErrorAt10MinS: acc.horizons[2]!.engine.p90S,
    etaCoverage: acc.coverage.rate,
    etaCoverageLow: acc.coverage.low,
    etaCoverageHigh: acc.coverage.high,
    straightLineEtaErrorAt5MinS: acc.horizons[1]!.straightLine.maeS,
    stillAirEtaErrorAt5MinS: acc.horizons[1]!.stillAirRoute.maeS,
    etaGainAt5Min: gainOver(all, 'straightLine', 300),
    utilization: rounded(ratio(fleet.busyS, fleet.drones * fleet.durationS)),
    whPerDelivery: rounded(ratio(fleet.energyWh, done.length), 1),
    refusals: fleet.refusals,
    droneFailures: fleet.failedDrones,
  }
}
