import t from 'tap'
import type { LatLon } from '../protocol/geo.js'
import type { DroneState, TelemetrySample } from '../protocol/telemetry.js'
import { DEPOT, harness, offset, S, T0, type Harness } from './engine-harness.js'

/** Feeds one sample with the speed and heading a drone really reports (the harness's helpers report heading 0, speed 15). */
function sample(h: Harness, id: string, seq: number, ts: number, at: LatLon, state: DroneState, o: Partial<TelemetrySample> = {}): void {
  h.engine.handleTelemetry({ droneId: id, seq, ts, lat: at.lat, lon: at.lon, alt: 60, speed: 0, heading: 0, battery: 0.9, state, ...o })
}

/**
 * A scout on a delivery due north flies into a 7 m/s wind from the north
 * that nobody told the engine about: its ground speed is 8 m/s with its
 * nose on its course. Returns where it is and the time of its last sample.
 */
function scoutIntoHeadwind(h: Harness, seconds: number): { at: LatLon; ts: number; seq: number } {
  const pickup = offset(DEPOT, 6000, 0)
  sample(h, 'scout', 1, T0, DEPOT, 'idle', { alt: 0 })
  h.create('scouting', pickup, offset(pickup, 1000, 0), 0.5)
  let at = DEPOT
  let seq = 1
  let ts = T0
  for (let s = 1; s <= 15; s++) sample(h, 'scout', ++seq, (ts += S), at, 'takeoff', { alt: 4 * s })
  for (let s = 1; s <= seconds; s++) {
    at = offset(at, 8, 0)
    sample(h, 'scout', ++seq, (ts += S), at, 'cruise', { speed: 8, heading: 0, battery: 0.9 - s * 1e-4 })
  }
  return { at, ts, seq }
}

t.test('dispatch judges feasibility with the wind the drones have shown, not the forecast', async (t) => {
  const PICKUP = offset(DEPOT, 1000, 0)
  const marginal = (h: Harness, ts: number): void => {
    // A drone with 70 % of a battery 2 km south of the depot; the trip runs 3 km north: enough in still air, not into 7 m/s.
    sample(h, 'd-2', 1, ts, offset(DEPOT, -2000, 0), 'idle', { alt: 0, battery: 0.7 })
    h.engine.advance(ts)
    h.create('trip', PICKUP, offset(PICKUP, 3000, 0), 1, null, ts)
  }
  const told = harness()
  marginal(told, T0)
  t.equal(told.engine.delivery('trip')?.status, 'HeadedToPickup', 'nothing observed, calm forecast: the trip is given')
  const learned = harness()
  const { ts } = scoutIntoHeadwind(learned, 180)
  marginal(learned, ts + S)
  t.equal(learned.engine.delivery('trip')?.status, 'Created', 'after the scout: the learned headwind makes it infeasible, it waits')
  t.notOk(
    learned.commands.some((c) => c.type === 'AssignDelivery' && c.deliveryId === 'trip'),
    'no command for it was sent to d-2',
  )
})

t.test('the ETA follows the learned headwind: the time left is what the drone will really take', async (t) => {
  const h = harness()
  const { at, ts } = scoutIntoHeadwind(h, 240)
  const last = h.tracking.at(-1)!
  t.equal(last.status, 'HeadedToPickup')
  const pickup = offset(DEPOT, 6000, 0)
  const leftM = 6000 - (at.lat - DEPOT.lat) * 111_195
  const leftS = (last.eta!.at - ts) / S
  // To the pickup at 8 m/s, 15 s down, 30 s loading, 15 s up, 1 km more at 8 m/s, 15 s down, 30 s handing over.
  const truth = leftM / 8 + 15 + 30 + 15 + 1000 / 8 + 15 + 30
  const stillAir = leftM / 15 + 15 + 30 + 15 + 1000 / 15 + 15 + 30
  t.ok(
    Math.abs(leftS - truth) < 0.05 * truth,
    `ETA in ${leftS.toFixed(0)} s; the flight needs ${truth.toFixed(0)} s (still air would say ${stillAir.toFixed(0)} s)`,
  )
  t.ok(pickup.lat > at.lat, 'still short of the pickup')
})

t.test('releaseOn departure: a drone waiting at the door completes when it leaves, and handling times are learned', async (t) => {
  const fly = (releaseOn: 'dwell' | 'departure'): Harness => {
    const h = harness({ releaseOn })
    const pickup = DEPOT
    const dropoff = offset(DEPOT, 600, 0)
    sample(h, 'd-1', 1, T0, DEPOT, 'idle', { alt: 0 })
    h.create('del', pickup, dropoff, 1)
    let seq = 1
    let ts = T0
    const go = (n: number, state: DroneState, where: LatLon, alt = 0): void => {
      for (let k = 0; k < n; k++) sample(h, 'd-1', ++seq, (ts += S), where, state, { alt })
    }
    go(30, 'hover', pickup)
    go(15, 'takeoff', pickup, 30)
    go(40, 'cruise', dropoff, 60)
    go(15, 'landing', dropoff, 30)
    go(90, 'hover', dropoff) // nobody at the door for a minute
    go(1, 'takeoff', dropoff, 4)
    return h
  }
  const dwell = fly('dwell')
  const done = (h: Harness) => h.events.find((e) => e.type === 'DeliveryCompleted')!
  const departure = fly('departure')
  const hoverStart = T0 + (30 + 15 + 40 + 15 + 1) * S
  t.equal(done(dwell).ts, hoverStart + 30 * S, "dwell (the default): released after the profile's 30 s")
  t.equal(done(departure).ts, hoverStart + 90 * S, 'departure: released when it left, 90 s after it began hovering')
  // Learned: pickup 30 s (hovered 30 s, then left), drop-off 90 s; each with the profile's 30 s as a prior worth three.
  const learn = (departure.engine as unknown as { desk: { learning: { handling: { mean(k: string): number } } } }).desk.learning.handling
  t.equal(learn.mean('dropoff'), (3 * 30 + 90) / 4)
  t.equal(learn.mean('pickup'), 30)
})
