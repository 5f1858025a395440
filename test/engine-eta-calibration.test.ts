import t from 'tap'
import { EtaCalibration } from '../engine/EtaCalibration.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import type { DroneState } from '../protocol/telemetry.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import { DEPOT, harness, offset, S, T0, type Harness } from './engine-harness.js'

const near = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol

t.test('calibration: error quantiles by kind, phase and time to arrival, learned when the delivery arrives', async (t) => {
  const c = new EtaCalibration({ minErrors: 30, keep: 400 })
  t.equal(c.quantiles('model', 'toDropoff', 300), null, 'nothing learned: no window of its own')
  // 100 deliveries, each estimated 5 min out and 30 s out; the 5 min estimates are 0..+60 s late, the 30 s ones on time.
  for (let k = 0; k < 100; k++) {
    const id = `d${k}`
    const arrive = T0 + 600 * S
    const estimate = arrive - ((k * 37) % 61) * S
    c.estimated(id, 'model', 'toDropoff', estimate - 300 * S, estimate)
    c.estimated(id, 'model', 'toDropoff', arrive - 30 * S, arrive)
    c.arrived(id, arrive)
  }
  const q = c.quantiles('model', 'toDropoff', 300)!
  t.ok(near(q.lo, 5, 1.5) && near(q.mid, 30, 1.5) && near(q.hi, 55, 1.5), `5 min out: P10 ${q.lo}, P50 ${q.mid}, P90 ${q.hi} s`)
  t.equal(q.n, 100)
  const closer = c.quantiles('model', 'toDropoff', 270)!
  t.ok(
    near(closer.hi / q.hi, 290 / 320, 1e-9),
    'an estimate made closer in its bucket gets a window scaled to its time to arrival (plus 20 s)',
  )
  t.match(c.quantiles('model', 'toDropoff', 20), { lo: 0, mid: 0, hi: 0 }, 'half a minute out: on time, a window of nothing')
  t.equal(c.quantiles('published', 'toDropoff', 280), null, 'published ETAs have learned nothing')
  // 20 min out nothing was estimated: the bucket borrows from its neighbours in time to arrival, the nearest first.
  const far = c.quantiles('model', 'toDropoff', 1200)!
  t.ok(near(far.mid / 1220, q.mid / 320, 1e-9) && far.n === 100, 'the 5 min errors, scaled to 20 min')
  const other = c.quantiles('model', 'toPickup', 300)!
  t.equal(other.n, 200, 'and a phase with none at all borrows all of the other')
  // A delivery keeps one estimate per bucket, the one nearest its middle: lingering in a bucket does not weigh more.
  const one = new EtaCalibration({ minErrors: 1, keep: 400 })
  // One delivery's estimate stays 4.5 min out for a minute (it is late by a minute); another's passes through on time.
  for (let s = 0; s < 60; s++) one.estimated('stuck', 'model', 'toPickup', T0 + s * S, T0 + (s + 270) * S)
  one.arrived('stuck', T0 + 330 * S)
  one.estimated('brisk', 'model', 'toPickup', T0, T0 + 270 * S)
  one.arrived('brisk', T0 + 270 * S)
  const two = one.quantiles('model', 'toPickup', 270)!
  t.equal(two.n, 2, 'two deliveries, two errors')
  t.ok(near(two.mid, 30, 1e-9), 'the median between them: 0 and 60 s')
  // A delivery that never arrives teaches nothing.
  for (let s = 0; s < 60; s++) c.estimated('gone', 'model', 'toPickup', T0 + s * S, T0 + 400 * S)
  c.forget('gone')
  c.arrived('gone', T0 + 999 * S)
  t.equal(c.quantiles('model', 'toPickup', 400)!.n, 200, 'still only what it borrows')
})

t.test(
  'calibration: the model is corrected by as much bias as its errors show for sure, and windows follow the newest errors',
  async (t) => {
    /** Deliveries estimated `remainingS` out that arrive `late(k)` s after their estimate. */
    const learn = (c: EtaCalibration, tag: string, n: number, remainingS: number, late: (k: number) => number): void => {
      for (let k = 0; k < n; k++) {
        const id = `${tag}-${k}`
        const estimate = T0 + remainingS * S
        c.estimated(id, 'model', 'toDropoff', T0, estimate)
        c.arrived(id, estimate + late(k) * S)
      }
    }
    const noisy = new EtaCalibration()
    // Errors from -25 to +33 s: a median of +4 s that thirty noisy arrivals cannot tell from none.
    learn(noisy, 'n', 30, 300, (k) => -25 + 2 * k)
    const a = noisy.quantiles('model', 'toDropoff', 300)!
    t.ok(a.mid > 2 && a.bias === 0, `median ${a.mid.toFixed(1)} s, no sure bias: the estimate is left as it is`)
    const late = new EtaCalibration()
    // Every arrival 20 to 49 s late: the bias is sure, and corrected by its surely-there part (below the median).
    learn(late, 'l', 30, 300, (k) => 20 + k)
    const b = late.quantiles('model', 'toDropoff', 300)!
    t.ok(b.bias > 15 && b.bias < b.mid, `median ${b.mid.toFixed(1)} s, corrected by ${b.bias.toFixed(1)} s`)

    // Thirty deliveries a minute out or more early, then thirty on time estimated 4 min out, in the next bucket.
    const c = new EtaCalibration()
    learn(c, 'old', 30, 300, (k) => (k % 2 ? 60 : -60))
    const before = c.quantiles('model', 'toDropoff', 300)!
    learn(c, 'new', 30, 250, (k) => (k % 2 ? 3 : -3))
    const after = c.quantiles('model', 'toDropoff', 300)!
    t.ok(
      after.hi - after.lo < (before.hi - before.lo) / 5,
      `the window 5 min out follows the newest errors, its neighbour's: ${(before.hi - before.lo).toFixed(0)} s wide, then ${(after.hi - after.lo).toFixed(0)} s`,
    )
  },
)

/** Feeds a sample with the nose on the course, as a drone reports it. */
function feed(h: Harness, seq: { n: number }, ts: number, at: LatLon, state: DroneState, headingDeg: number, alt: number): void {
  h.engine.handleTelemetry({
    droneId: 'd-1',
    seq: ++seq.n,
    ts,
    lat: at.lat,
    lon: at.lon,
    alt,
    speed: state === 'cruise' || state === 'returning' ? 15 : 0,
    heading: headingDeg,
    battery: 0.95,
    state,
  })
}

/**
 * One delivery from the depot to 2 km north and back, flown at `groundMps`
 * while the drone reports 15 m/s (something the engine cannot see: its
 * estimates run early). Returns the tracking messages and when it was released.
 */
function deliver(h: Harness, id: string, seq: { n: number }, t0: number, groundMps: number): { msgs: TrackingMessage[]; released: number } {
  const dropoff = offset(DEPOT, 2000, 0)
  const from = h.tracking.length
  let ts = t0
  let at = DEPOT
  feed(h, seq, ts, at, 'idle', 0, 0)
  h.create(id, DEPOT, dropoff, 1, null, t0)
  const step = (state: DroneState, alt: number, heading = 0): void => feed(h, seq, (ts += S), at, state, heading, alt)
  for (let k = 0; k < 30; k++) step('hover', 0)
  for (let k = 1; k <= 15; k++) step('takeoff', 4 * k)
  while (haversineM(at.lat, at.lon, dropoff.lat, dropoff.lon) > groundMps) {
    at = offset(at, groundMps, 0)
    step('cruise', 60)
  }
  at = dropoff
  for (let k = 14; k >= 0; k--) step('landing', 4 * k)
  for (let k = 0; k < 31; k++) step('hover', 0)
  const released = h.events.find((e) => e.type === 'DeliveryCompleted' && e.deliveryId === id)!.ts
  step('takeoff', 4)
  // Home again, idle for the next one.
  at = DEPOT
  step('idle', 0, 180)
  return { msgs: h.tracking.slice(from), released }
}

t.test('the P10–P90 window comes from past errors: about 80 % of the estimates hold the arrival inside', async (t) => {
  const h = harness()
  const seq = { n: 0 }
  let t0 = T0
  const inside = { late: 0, lateN: 0 }
  let ordered = true
  const widths: Array<[number, number]> = []
  for (let k = 0; k < 80; k++) {
    // Ground speeds spread evenly over 10..13 m/s (a golden-ratio sequence): errors with a spread to learn.
    const v = 10 + 3 * ((k * 0.618_034) % 1)
    const { msgs, released } = deliver(h, `del-${k}`, seq, t0, v)
    t0 = released + 120 * S
    for (const m of msgs) {
      if (!m.eta) continue
      ordered &&= m.eta.p10 <= m.eta.at && m.eta.at <= m.eta.p90
      const hit = m.eta.p10 <= released && released <= m.eta.p90 ? 1 : 0
      if (k >= 40) {
        ;[inside.late, inside.lateN] = [inside.late + hit, inside.lateN + 1]
        widths.push([released - m.ts, m.eta.p90 - m.eta.p10])
      }
    }
  }
  t.ok(ordered, 'every published window holds its ETA: p10 ≤ at ≤ p90')
  const share = inside.late / inside.lateN
  t.ok(
    share >= 0.72 && share <= 0.88,
    `once learned, ${Math.round(share * 100)} % of ${inside.lateN} estimates held the arrival inside their window`,
  )
  const far = widths.filter(([left]) => left > 200 * S).map(([, w]) => w)
  const close = widths.filter(([left]) => left < 60 * S).map(([, w]) => w)
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  t.ok(
    mean(close) < mean(far) / 2,
    `narrow at the door (${(mean(close) / S).toFixed(1)} s), wide over three minutes out (${(mean(far) / S).toFixed(1)} s)`,
  )
})
