import * as hdr from 'hdr-histogram-js'
import type { DeliveryResult } from './ResultsCollector.js'
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
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0)

/** The summary figures of a run: pure over its deliveries and fleet totals. */
export function summarize(all: readonly DeliveryResult[], fleet: FleetTotals = NO_FLEET): Summary {
  const done = all.filter((r) => r.completedAt !== null)
  const onTime = done.filter((r) => r.onTime).length
  const times = done.map((r) => ((r.completedAt as number) - r.requestedAt) / 1000)
  // Percentiles from an HDR histogram at 0.1 s resolution, 3 significant digits.
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10 * 86_400 * 10, numberOfSignificantValueDigits: 3 })
  for (const s of times) h.recordValue(Math.max(1, Math.round(s * 10)))
  const pct = (q: number): number => (times.length ? round(h.getValueAtPercentile(q) / 10, 1) : 0)
  const etaAt = (horizonS: number): number => round(mean(done.flatMap((r) => {
    const p = r.predictedEta[String(horizonS)]
    return typeof p === 'number' ? [Math.abs(p - (r.completedAt as number)) / 1000] : []
  })), 1)
  return {
    requested: all.length,
    completed: done.length,
    failed: all.filter((r) => r.status === 'Failed').length,
    cancelled: all.filter((r) => r.status === 'Cancelled').length,
    completionRate: round(all.length ? done.length / all.length : 0),
    onTime,
    onTimeRate: round(all.length ? onTime / all.length : 0),
    meanDeliveryTimeS: round(mean(times), 1),
    deliveryTimeP50S: pct(50),
    deliveryTimeP95S: pct(95),
    deliveryTimeP99S: pct(99),
    meanEtaErrorS: round(mean(done.filter((r) => r.etaAtAssignment !== null).map((r) => Math.abs((r.etaAtAssignment as number) - (r.completedAt as number)) / 1000)), 1),
    etaErrorAt1MinS: etaAt(60),
    etaErrorAt5MinS: etaAt(300),
    etaErrorAt10MinS: etaAt(600),
    utilization: round(fleet.drones && fleet.durationS ? fleet.busyS / (fleet.drones * fleet.durationS) : 0),
    whPerDelivery: round(done.length ? fleet.energyWh / done.length : 0, 1),
    refusals: fleet.refusals,
    droneFailures: fleet.failedDrones,
  }
}
