import t from 'tap'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import type { DeliveryStatus } from '../protocol/events.js'
import type { DroneState } from '../protocol/telemetry.js'
import type { DemandArrival } from '../sim/demand.js'
import { etaAccuracy, gainOver, wilson } from '../sim/report/etaAccuracy.js'
import { etaAccuracyLines } from '../sim/report/etaAccuracyTable.js'
import { naiveEtas } from '../engine/naiveEtas.js'
import { ResultsCollector } from '../sim/report/ResultsCollector.js'
import { offset } from './helpers/offset.js'

const T0 = 1_763_700_000_000
const S = 1000
const PICKUP: LatLon = { lat: 47.6, lon: -122.33 }
const DROPOFF = offset(PICKUP, 3000, 0)

t.test('Wilson interval: the 95 % interval of a share', async (t) => {
  t.same(wilson(80, 100), { n: 100, inside: 80, rate: 0.8, low: 0.711, high: 0.867 })
  t.match(wilson(0, 10), { rate: 0, low: 0, high: 0.278 }, 'never below 0')
  t.match(wilson(10, 10), { rate: 1, low: 0.722, high: 1 }, 'never above 1')
  t.same(wilson(0, 0), { n: 0, inside: 0, rate: null, low: null, high: null }, 'no arrivals: no share')
})

t.test('naive baselines: straight lines at cruise speed, and the routes round no-fly zones, both in still air', async (t) => {
  const p = DEFAULT_PROFILE
  // A zone across the straight line from the pickup to the drop-off.
  const zone = {
    id: 'park',
    polygon: [offset(PICKUP, 1200, -400), offset(PICKUP, 1200, 400), offset(PICKUP, 1800, 400), offset(PICKUP, 1800, -400)],
    noFly: true,
  }
  const n = naiveEtas(p, [zone])
  const x = {
    ts: T0,
    position: { ...offset(PICKUP, -1500, 0), alt: 60 },
    droneState: 'cruise' as DroneState,
    picking: true,
    pickup: PICKUP,
    dropoff: DROPOFF,
    dwellS: 0,
  }
  const straight = n.eta('straightLine', x)
  // 1500 m to the pickup, 15 s down, 30 s loading, 15 s up, 3000 m, 15 s down, 30 s handing over, at 15 m/s.
  const expectS = 1500 / 15 + 15 + 30 + 15 + 3000 / 15 + 15 + 30
  t.ok(Math.abs((straight.at - T0) / S - expectS) < 0.01, `straight line: ${(straight.at - T0) / S} s`)
  t.ok(straight.p10 < straight.at && straight.at < straight.p90, 'with the fixed band as its window')
  const routed = n.eta('stillAirRoute', x)
  t.ok(routed.at > straight.at + 10 * S, `round the zone: ${((routed.at - straight.at) / S).toFixed(0)} s longer`)
  const hovering = n.eta('straightLine', { ...x, position: { ...PICKUP, alt: 0 }, droneState: 'hover', dwellS: 20 })
  t.ok(Math.abs((hovering.at - T0) / S - (10 + 15 + 3000 / 15 + 15 + 30)) < 0.01, 'at the pickup 20 s into 30 s of loading')
})

function trackingAt(id: string, s: number, at: LatLon, status: DeliveryStatus, state: DroneState, etaS: number, halfWidthS: number) {
  return {
    type: 'tracking' as const,
    deliveryId: id,
    droneId: 'd-1',
    ts: T0 + s * S,
    position: { ...at, alt: state === 'hover' ? 0 : 60 },
    speed: 10,
    heading: 0,
    battery: 0.9,
    droneState: state,
    status,
    eta: { at: T0 + etaS * S, p10: T0 + (etaS - halfWidthS) * S, p90: T0 + (etaS + halfWidthS) * S },
  }
}

t.test('results: the engine against the baselines at each horizon, its window coverage, the gain', async (t) => {
  const c = new ResultsCollector(naiveEtas(DEFAULT_PROFILE, []))
  const arrival = (): DemandArrival => ({ at: T0, pickup: PICKUP, dropoff: DROPOFF, weightKg: 1, deadline: T0 + 3600 * S })
  // Ten deliveries, each flown from the pickup to the drop-off at 10 m/s (a headwind the baselines know nothing of):
  // loaded from 0 s, cruising from 45 s, arriving at 45 + 300 + 15 + 30 = 390 s. The engine predicts 390 + k s
  // with a window of ±5 s: deliveries 0..5 are inside it, 6..9 are not.
  for (let k = 0; k < 10; k++) {
    const id = `del-${k}`
    c.requested(id, arrival())
    c.apply({ type: 'DroneAssigned', deliveryId: id, ts: T0, droneId: 'd-1', eta: { at: T0 + 390 * S, p10: T0, p90: T0 + 400 * S } })
    c.apply({ type: 'PackagePickedUp', deliveryId: id, ts: T0, droneId: 'd-1' })
    for (let s = 0; s < 390; s += 5) {
      const flown = Math.min(3000, Math.max(0, (s - 45) * 10))
      const state: DroneState = s < 30 ? 'hover' : s < 45 ? 'takeoff' : flown < 3000 ? 'cruise' : s < 375 ? 'landing' : 'hover'
      c.tracking(trackingAt(id, s, offset(PICKUP, flown, 0), 'HeadedToDropoff', state, 390 + k, 5))
    }
    c.apply({ type: 'DeliveryCompleted', deliveryId: id, ts: T0 + 390 * S, droneId: 'd-1' })
  }
  const r = c.get('del-3')!
  t.same(r.predictedWindow['300'], { p10: T0 + 388 * S, p90: T0 + 398 * S }, "the engine's window 5 min before")
  // The straight line 5 min before (at 90 s: 450 m flown, 2550 m left at 15 m/s, 15 s down, 30 s handling).
  t.equal(r.baselineEta.straightLine['300']!.at, T0 + (90 + 2550 / 15 + 15 + 30) * S)
  const acc = etaAccuracy(c.deliveries())
  const five = acc.horizons[1]!
  t.equal(five.minutesBefore, 5)
  t.match(five.engine, { n: 10, maeS: 4.5, coverage: 0.6 })
  t.equal(five.straightLine.maeS, 390 - (90 + 2550 / 15 + 45))
  t.same(five.straightLine, five.stillAirRoute, 'without zones the two baselines agree')
  t.same(acc.coverage, wilson(12, 20), 'six of ten inside at 1 and at 5 min (none was predicted 10 min out)')
  t.equal(acc.horizons[2]!.engine.maeS, null)
  const sum = c.summary()
  t.match(sum, { etaCoverage: 0.6, etaErrorAt5MinS: 4.5, etaP90ErrorAt5MinS: 8.1, straightLineEtaErrorAt5MinS: 85 })
  t.equal(sum.etaGainAt5Min, gainOver(c.deliveries(), 'straightLine', 300))
  t.equal(sum.etaGainAt5Min, Math.round((85 / 4.5) * 100) / 100, 'the straight line errs 85 s where the engine errs 4.5 s')
  const lines = etaAccuracyLines(acc)
  t.match(lines[0], /ETA\s+estimator\s+MAE s\s+P90 s\s+in window\s+n/)
  t.match(lines.join('\n'), /5 min before\s+engine\s+4\.5\s+8\.1\s+60\.0 %\s+10/)
  t.match(lines.at(-1), /engine window coverage at 1, 5 and 10 min: 60\.0 % \(95 % interval 38\.7 % to 78\.1 %\), n 20/)
  t.ok(haversineM(PICKUP.lat, PICKUP.lon, DROPOFF.lat, DROPOFF.lon) > 2999)
})
