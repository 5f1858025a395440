import t from 'tap'
import type { LearnedState } from '../engine/LearnedState.js'
import type { DeliveryState } from '../engine/records.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import type { DroneState } from '../protocol/telemetry.js'
import type { Eta } from '../protocol/eta.js'
import { DEPOT, harness, type Harness, offset, S, T0 } from './engine-harness.js'

/** The real wind (toward the east) and what the engine is told. */
const WIND = { eastMps: 4, northMps: 1 }
const FORECAST = { eastMps: 2, northMps: 0 }
/** The drone flies 10 % faster than the profile's 15 m/s and drains its battery faster than the model says. */
const AIRSPEED = 16.5
const DRAIN_PER_S = 0.0006

const options = { wind: () => FORECAST, releaseOn: 'departure' as const }

/**
 * One drone flown in WIND, each sample sent to every harness given (the
 * same telemetry to an engine and to its restored successor); the ETA each
 * published is kept per sample.
 */
class WindyFlight {
  readonly etas: Array<Array<Eta | null>> = []
  battery = 1
  constructor(
    private readonly hs: Harness[],
    private readonly id: string,
    public pos: LatLon,
    public ts: number,
  ) {}

  private send(state: DroneState, alt: number, speed = 0, heading = 0): void {
    this.ts += S
    if (state !== 'idle') this.battery -= DRAIN_PER_S
    this.etas.push(
      this.hs.map((h) => {
        const before = h.tracking.length
        h.send(this.id, this.ts, this.pos, state, { alt, battery: this.battery, speed, heading })
        return h.tracking.length > before ? h.tracking.at(-1)!.eta : null
      }),
    )
  }

  takeoff(): void {
    for (let alt = 4; alt <= 60; alt += 4) this.send('takeoff', alt)
  }

  land(): void {
    for (let alt = 56; alt >= 0; alt -= 4) this.send('landing', alt)
  }

  hover(seconds: number): void {
    for (let k = 0; k < seconds; k++) this.send('hover', 0)
  }

  /** Cruises straight to `to` at AIRSPEED, crabbing into the wind: the ground speed and the heading an anemometer reads. */
  cruise(to: LatLon, state: DroneState = 'cruise', seconds = Infinity): void {
    for (let k = 0; k < seconds; k++) {
      const left = haversineM(this.pos.lat, this.pos.lon, to.lat, to.lon)
      if (left < 1) return
      const e = (to.lon - this.pos.lon) * 111_195 * Math.cos((this.pos.lat * Math.PI) / 180)
      const n = (to.lat - this.pos.lat) * 111_195
      const ue = e / Math.hypot(e, n)
      const un = n / Math.hypot(e, n)
      const cross = -WIND.eastMps * un + WIND.northMps * ue
      const ground = WIND.eastMps * ue + WIND.northMps * un + Math.sqrt(AIRSPEED ** 2 - cross ** 2)
      const heading = ((Math.atan2(ground * ue - WIND.eastMps, ground * un - WIND.northMps) * 180) / Math.PI + 360) % 360
      const step = Math.min(ground, left)
      this.pos = offset(this.pos, step * un, step * ue)
      this.send(state, 60, ground, heading)
    }
  }

  /** Depot → pickup → drop-off (a customer who takes `waitS` at the door) → home, where its battery is swapped. */
  deliver(pickup: LatLon, dropoff: LatLon, waitS: number): void {
    this.takeoff()
    this.cruise(pickup)
    this.land()
    this.hover(25)
    this.takeoff()
    this.cruise(dropoff)
    this.land()
    this.hover(waitS)
    this.takeoff()
    this.cruise(DEPOT, 'returning')
    this.land()
    this.battery = 1
    this.send('idle', 0)
  }
}

/** Trips out of the depot in four directions, so that the drone's airspeed and the wind can be told apart. */
function trip(k: number): { pickup: LatLon; dropoff: LatLon } {
  const dir = (k * 97 * Math.PI) / 180
  const pickup = offset(DEPOT, 900 * Math.cos(dir), 900 * Math.sin(dir))
  return { pickup, dropoff: offset(pickup, 700 * Math.sin(dir), -700 * Math.cos(dir)) }
}

t.test('what an engine learned survives a restart: learn, save, restore, and the same predictions', async (t) => {
  const a = harness(options)
  a.send('d-1', T0, DEPOT)
  const f = new WindyFlight([a], 'd-1', DEPOT, T0)
  for (let k = 0; k < 6; k++) {
    const { pickup, dropoff } = trip(k)
    a.create(`del-${k}`, pickup, dropoff, 1, null, f.ts)
    f.deliver(pickup, dropoff, 20 + 15 * (k % 3))
    t.equal(a.engine.delivery(`del-${k}`)?.status, 'Completed', `del-${k} completed`)
  }
  const learned = a.engine.learned()
  t.ok(learned.wind.cells.length > 0 && learned.factors.drones.length === 1, 'it learned the wind where it flew, and its drone')
  const [, speedSum, speedW] = learned.factors.drones[0]!
  t.ok(speedSum! / speedW! > 1.05, `its airspeed: ${(speedSum! / speedW!).toFixed(3)} of the profile's`)
  const errors = learned.calibration.buckets.filter(([kind]) => kind === 1).reduce((n, b) => n + Math.min(b[3]!, 30), 0)
  t.ok(
    learned.handling.dropoff.count === 6 && errors >= 20,
    `handling times, and enough errors of its ETAs (${errors}) to size its windows`,
  )

  // Mid-flight to the next pickup, the engine dies; what it saved goes through JSON, as through the store.
  const { pickup, dropoff } = trip(6)
  a.create('del-6', pickup, dropoff, 1, null, f.ts)
  f.takeoff()
  f.cruise(pickup, 'cruise', 20)
  const saved = JSON.parse(JSON.stringify(a.engine.learned())) as LearnedState
  const open = JSON.parse(JSON.stringify(a.engine.snapshot('del-6'))) as DeliveryState
  t.ok(
    saved.calibration.traces.some(([id]) => id === 'del-6'),
    "the open delivery's estimates waiting for its arrival are in it",
  )

  const b = harness(options)
  b.engine.restoreLearned(saved)
  b.engine.restore([open])
  t.same(b.engine.learned(), saved, 'restored as saved')
  // Control: a restarted engine that did not get it back starts from the forecast and the profile.
  const c = harness(options)
  c.engine.restore([open])

  const g = new WindyFlight([a, b, c], 'd-1', f.pos, f.ts)
  g.battery = f.battery
  g.cruise(pickup)
  g.land()
  g.hover(25)
  g.takeoff()
  g.cruise(dropoff)
  g.land()
  g.hover(30)
  g.takeoff()
  const published = g.etas.filter((e) => e[0] !== null)
  t.ok(published.length > 100, `${published.length} ETAs published on the way`)
  t.same(
    published.map((e) => e[1]),
    published.map((e) => e[0]),
    'the restored engine publishes the very ETAs (estimate and window) the first one does',
  )
  t.not(JSON.stringify(published[0]![2]), JSON.stringify(published[0]![0]), 'one that forgot what was learned does not')
  t.equal(b.engine.delivery('del-6')?.status, 'Completed')
  t.same(b.engine.learned(), a.engine.learned(), 'and it goes on learning as the first one does')
  t.equal(
    b.engine.stats().deliveriesByStatus.Completed,
    1,
    'its own counters start again: only what it saw completed (the learned state is not its statistics)',
  )
})

t.test('a learned state that is not one is refused before any of it is used, naming the field and the value', async (t) => {
  const a = harness(options)
  a.send('d-1', T0, DEPOT)
  const f = new WindyFlight([a], 'd-1', DEPOT, T0)
  a.create('del-0', trip(0).pickup, trip(0).dropoff, 1, null, f.ts)
  f.deliver(trip(0).pickup, trip(0).dropoff, 20)
  const good = JSON.parse(JSON.stringify(a.engine.learned())) as LearnedState
  const b = harness(options)
  const before = JSON.stringify(b.engine.learned())
  const broken = (change: (s: LearnedState) => void): unknown => {
    const s = structuredClone(good)
    change(s)
    return s
  }
  t.throws(() => b.engine.restoreLearned({ ...good, v: 2 }), { code: 'DF_OPTION_INVALID', field: 'v' })
  t.throws(
    () =>
      b.engine.restoreLearned(
        broken((s) => {
          s.wind.cells[0]![3] = Number.NaN
        }),
      ),
    {
      code: 'DF_OPTION_INVALID',
      field: 'wind.cells[0][3]',
      message: /learned state field wind.cells\[0\]\[3\] must be a finite number, got NaN/,
    },
  )
  t.throws(
    () =>
      b.engine.restoreLearned(
        broken((s) => {
          s.last[0]![3] = 'flying' as DroneState
        }),
      ),
    { code: 'DF_OPTION_INVALID', field: 'last[0][3]' },
  )
  t.throws(
    () =>
      b.engine.restoreLearned(
        broken((s) => {
          s.calibration.buckets[0]!.pop()
        }),
      ),
    { code: 'DF_OPTION_INVALID', field: 'calibration.buckets[0]' },
  )
  t.throws(() => b.engine.restoreLearned(null), { code: 'DF_OPTION_INVALID' })
  t.equal(JSON.stringify(b.engine.learned()), before, 'nothing of a refused state was taken')
})
