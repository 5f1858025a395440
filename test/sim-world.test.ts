import t from 'tap'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE, type DroneProfile } from '../protocol/profile.js'
import { assignDroneTraits, capacityOf, droneProfileOf } from '../sim/droneTraits.js'
import { droneWorldAt, type DroneWorldSpec } from '../sim/DroneWorld.js'
import { Fate } from '../sim/FaultTimeline.js'
import { assignMission, stepDrone, type Waypoint } from '../sim/flight.js'
import { FleetState, Phase, WaypointKind } from '../sim/FleetState.js'
import { handlingTimeS } from '../sim/handlingTime.js'
import { LateTelemetry } from '../sim/LateTelemetry.js'
import { MODEL_WORLD, type World } from '../sim/scenario/Scenario.js'
import { toWind, TrueWind, type TrueWindSpec } from '../sim/TrueWind.js'
import { windVector } from '../sim/wind.js'
import { offset } from './helpers/offset.js'

const T0 = 1_767_618_000_000
const ORIGIN: LatLon = { lat: -41.29, lon: 174.78 }
const p: DroneProfile = { ...DEFAULT_PROFILE }

function windSpec(w: Partial<World['wind']>, seed = 7, forecast = { speedMps: 8, fromDeg: 270 }): TrueWindSpec {
  return { forecast, world: { ...MODEL_WORLD.wind, ...w }, seed, start: T0, origin: ORIGIN }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const sd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)))
const corr = (a: number[], b: number[]): number => {
  const [ma, mb] = [mean(a), mean(b)]
  return mean(a.map((x, i) => (x - ma) * (b[i]! - mb))) / (sd(a) * sd(b))
}

t.test('the true wind: the forecast plus an error of the share asked, in a direction from the seed', async (t) => {
  const f = windVector({ speedMps: 8, fromDeg: 270 })
  const still = new TrueWind(windSpec({}))
  t.same(still.at(ORIGIN.lat, ORIGIN.lon, T0 + 60_000), f, 'no mismatch: the forecast everywhere')
  const dirs = new Set<number>()
  for (const seed of [1, 2, 3]) {
    const w = new TrueWind(windSpec({ forecastError: 0.3 }, seed))
    const m = w.meanAt(T0)
    const err = Math.hypot(m.eastMps - f.eastMps, m.northMps - f.northMps)
    t.ok(Math.abs(err - 2.4) < 1e-9, `seed ${seed}: an error of 30 % of 8 m/s, ${err.toFixed(3)} m/s`)
    t.same(w.at(-41.3, 174.8, T0 + 3_600_000), m, 'steady and uniform without gusts and drift')
    dirs.add(Math.round(Math.atan2(m.eastMps - f.eastMps, m.northMps - f.northMps) * 100))
  }
  t.equal(dirs.size, 3, 'its direction differs by seed')
})

t.test('gusts vary in space and time with the standard deviation asked, and repeat for the same seed', async (t) => {
  const w = new TrueWind(windSpec({ gustsMps: 2, gustSizeM: 1000, gustTimeS: 120 }))
  const base = w.meanAt(T0)
  const east: number[] = []
  const north: number[] = []
  for (let k = 0; k < 4000; k++) {
    const v = w.at(ORIGIN.lat + ((k % 63) - 31) * 0.004, ORIGIN.lon + (Math.floor(k / 63) - 31) * 0.005, T0 + (k % 97) * 37_000)
    east.push(v.eastMps - base.eastMps)
    north.push(v.northMps - base.northMps)
  }
  t.ok(Math.abs(sd(east) - 2) < 0.5 && Math.abs(sd(north) - 2) < 0.5, `sd ${sd(east).toFixed(2)}, ${sd(north).toFixed(2)} m/s`)
  t.ok(Math.abs(mean(east)) < 0.4 && Math.abs(mean(north)) < 0.4, 'around the mean wind')
  // Close in space and time: nearly the same gust; kilometres or minutes apart: another one.
  const near: number[][] = [[], []]
  const far: number[][] = [[], []]
  const later: number[][] = [[], []]
  for (let k = 0; k < 400; k++) {
    const here = offset(ORIGIN, (k % 20) * 700 - 7000, Math.floor(k / 20) * 700 - 7000)
    const at = T0 + k * 11_000
    const a = w.at(here.lat, here.lon, at).eastMps
    const b = offset(here, 40, 0)
    near[0]!.push(a)
    near[1]!.push(w.at(b.lat, b.lon, at + 2000).eastMps)
    const c = offset(here, 8000, 5000)
    far[0]!.push(a)
    far[1]!.push(w.at(c.lat, c.lon, at).eastMps)
    later[0]!.push(a)
    later[1]!.push(w.at(here.lat, here.lon, at + 20 * 60_000).eastMps)
  }
  t.ok(corr(near[0]!, near[1]!) > 0.9, `40 m and 2 s apart: correlation ${corr(near[0]!, near[1]!).toFixed(2)}`)
  t.ok(Math.abs(corr(far[0]!, far[1]!)) < 0.3, `9 km apart: correlation ${corr(far[0]!, far[1]!).toFixed(2)}`)
  t.ok(Math.abs(corr(later[0]!, later[1]!)) < 0.3, `20 min apart: correlation ${corr(later[0]!, later[1]!).toFixed(2)}`)
  const again = new TrueWind(windSpec({ gustsMps: 2, gustSizeM: 1000, gustTimeS: 120 }))
  t.same(again.at(-41.3, 174.79, T0 + 123_456), w.at(-41.3, 174.79, T0 + 123_456), 'the same seed, the same wind')
  const other = new TrueWind(windSpec({ gustsMps: 2, gustSizeM: 1000, gustTimeS: 120 }, 8))
  t.not(other.at(-41.3, 174.79, T0 + 123_456).eastMps, w.at(-41.3, 174.79, T0 + 123_456).eastMps, 'another seed, another wind')
})

t.test('drift moves the mean wind slowly: steady over a minute, different over an hour', async (t) => {
  const w = new TrueWind(windSpec({ driftMps: 1.5, driftTimeS: 3600 }))
  const east: number[] = []
  for (let m = 0; m < 24 * 60; m += 5) east.push(w.meanAt(T0 + m * 60_000).eastMps)
  t.ok(sd(east) > 0.8 && sd(east) < 2.5, `over a day the mean wanders with sd ${sd(east).toFixed(2)} m/s`)
  const a = w.meanAt(T0)
  const b = w.meanAt(T0 + 60_000)
  t.ok(Math.hypot(a.eastMps - b.eastMps, a.northMps - b.northMps) < 0.3, 'a minute later it has barely moved')
  t.same(w.at(ORIGIN.lat, ORIGIN.lon, T0 + 5000), w.at(-41.35, 174.7, T0 + 5000), 'drift is the same everywhere')
  t.same(toWind({ eastMps: 0, northMps: -5 }), { speedMps: 5, fromDeg: 0 }, 'air moving south: a wind from the north')
})

t.test('handling times: a lognormal around the profile with the spread asked; absent customers add a wait at drop-offs', async (t) => {
  const h = { spread: 0.4, absent: 0, absentWaitS: 120 }
  const draws = Array.from({ length: 4000 }, (_, n) => handlingTimeS(3, n % 40, n, false, 30, h))
  t.ok(Math.abs(mean(draws) - 30) < 1.5, `mean ${mean(draws).toFixed(1)} s`)
  t.ok(Math.abs(sd(draws) / mean(draws) - 0.4) < 0.05, `coefficient of variation ${(sd(draws) / mean(draws)).toFixed(2)}`)
  t.ok(
    draws.every((s) => s > 0),
    'never negative',
  )
  t.equal(handlingTimeS(3, 5, 17, false, 30, h), handlingTimeS(3, 5, 17, false, 30, h), 'the same (seed, drone, arrival): the same time')
  t.equal(handlingTimeS(3, 5, 17, true, 30, MODEL_WORLD.handling), 30, 'without a spread: the profile')
  const away = { spread: 0, absent: 0.25, absentWaitS: 60 }
  const drops = Array.from({ length: 4000 }, (_, n) => handlingTimeS(4, 1, n, true, 30, away))
  const waited = drops.filter((s) => s > 30)
  t.ok(Math.abs(waited.length / drops.length - 0.25) < 0.03, `${waited.length} of ${drops.length} waited`)
  t.ok(Math.abs(mean(waited) - 90) < 6, `a wait of ${mean(waited).toFixed(1)} s on average on top of 30 s`)
  t.ok(
    Array.from({ length: 500 }, (_, n) => handlingTimeS(4, 1, n, false, 30, away)).every((s) => s === 30),
    'pickups never wait for a customer',
  )
})

t.test('drones differ within the spreads, the same way for the same seed', async (t) => {
  const world = { speedSpread: 0.1, batterySpread: 0.2, batteryAgeing: 0 }
  const f = new FleetState(200)
  assignDroneTraits(f, p, world, 9)
  const speeds = Array.from(f.airspeed)
  const packs = Array.from(f.healthWh)
  t.ok(
    speeds.every((v) => v >= 13.5 && v <= 16.5),
    'airspeed within ±10 % of 15 m/s',
  )
  t.ok(
    packs.every((v) => v >= 400 && v <= 500),
    'battery within 20 % below 500 Wh',
  )
  t.ok(Math.max(...speeds) - Math.min(...speeds) > 2.4, 'and they do spread')
  const g = new FleetState(200)
  assignDroneTraits(g, p, world, 9)
  t.same(Array.from(g.airspeed), speeds, 'repeatable')
  const none = new FleetState(3)
  assignDroneTraits(none, p, MODEL_WORLD.drones, 9)
  t.same(droneProfileOf(none, 0, p, 0), p, 'no spread: the profile itself')
})

function drone(at: LatLon): FleetState {
  const f = new FleetState(1)
  f.lat[0] = at.lat
  f.lon[0] = at.lon
  f.battery[0] = 1
  f.phase[0] = Phase.Ground
  return f
}

const DEPOT: LatLon = { lat: -41.29, lon: 174.78 }
const FAR = offset(DEPOT, 3000, 0)
const mission: Waypoint[] = [
  { ...FAR, kind: WaypointKind.Pickup },
  { ...DEPOT, kind: WaypointKind.Depot },
]

/** Steps the drone until it is home (or n steps); returns how many steps each phase took. */
function fly(f: FleetState, spec: DroneWorldSpec | null, steps = 3000): Record<number, number> {
  const phases: Record<number, number> = {}
  assignMission(f, 0, mission, 0, p, false, spec ? droneWorldAt(spec, T0) : undefined)
  for (let k = 0; k < steps && !(f.phase[0] === Phase.Ground && k > 0); k++) {
    const ph = f.phase[0]!
    stepDrone(f, 0, 1, p, undefined, spec ? droneWorldAt(spec, T0 + k * 1000) : undefined)
    phases[ph] = (phases[ph] ?? 0) + 1
  }
  return phases
}

t.test("a drone flies its own airspeed, on its own battery, in the world's wind, hovering the world's handling time", async (t) => {
  const spec = (w: Partial<World>, wind: TrueWindSpec | null = null): DroneWorldSpec => ({
    seed: 1,
    world: { ...MODEL_WORLD, ...w },
    handlingS: p.handlingS,
    wind,
    forecast: { speedMps: 0, fromDeg: 0 },
  })
  const nominal = drone(DEPOT)
  const base = fly(nominal, null)
  const fast = drone(DEPOT)
  fast.airspeed[0] = 16.5
  const quick = fly(fast, spec({}))
  t.ok(quick[Phase.Cruise]! < base[Phase.Cruise]! * 0.95, `10 % faster: ${quick[Phase.Cruise]} s in cruise against ${base[Phase.Cruise]} s`)
  t.ok(fast.usedWh[0]! > nominal.usedWh[0]!, 'and it pays for it in power (drag grows with speed)')
  const weak = drone(DEPOT)
  weak.healthWh[0] = 400
  fly(weak, spec({}))
  t.ok(Math.abs(1 - weak.battery[0]! - (1 - nominal.battery[0]!) * 1.25) < 1e-6, 'a battery holding 80 % loses charge 1.25 times as fast')
  t.equal(capacityOf(weak, 0, p, 0.01), 400 - 0.01 * weak.usedWh[0]!, 'ageing takes capacity for the energy drawn')
  // A wind from the east (the mission runs north and back): the drone crabs, its nose off its course.
  const windy = drone(DEPOT)
  assignMission(windy, 0, mission, 0, p)
  const crosswind = spec({}, windSpec({ forecastError: 0 }, 1, { speedMps: 6, fromDeg: 90 }))
  for (let k = 0; k < 40; k++) stepDrone(windy, 0, 1, p, undefined, droneWorldAt(crosswind, T0 + k * 1000))
  t.equal(windy.phase[0], Phase.Cruise)
  t.ok(windy.heading[0]! > 20 && windy.heading[0]! < 30, `heading ${windy.heading[0]!.toFixed(1)}°: into the wind, off a course of 0°`)
  t.ok(Math.abs(windy.speed[0]! - Math.sqrt(15 * 15 - 36)) < 1e-6, 'ground speed from the wind triangle')
  const made = haversineM(windy.lat[0]!, windy.lon[0]!, DEPOT.lat, DEPOT.lon)
  t.ok(
    made > 300 && Math.abs(windy.lon[0]! - DEPOT.lon) < 1e-9,
    `and it makes ${made.toFixed(0)} m good along its course, not drifted off it`,
  )
  const slow = drone(DEPOT)
  const hovered = fly(slow, spec({ handling: { spread: 0.5, absent: 0, absentWaitS: 0 } }))
  t.not(hovered[Phase.Handling], base[Phase.Handling], `handling ${hovered[Phase.Handling]} s, not the profile's ${base[Phase.Handling]} s`)
  t.equal(slow.arrivals[0], 1, 'the arrival is counted, numbering the next draw')
})

t.test('late telemetry: every sample the faults let through goes out late by the delay plus its jitter', async (t) => {
  let dropped = 0
  const faults = {
    count: 1,
    telemetryFate: (_i: number, seq: number) => (seq % 5 === 0 ? Fate.Drop : seq % 7 === 0 ? 4000 : Fate.Send),
    notSent: () => dropped++,
  }
  const late = new LateTelemetry(faults, { delayS: 1, jitterS: 0.5 }, 11)
  const fates = Array.from({ length: 200 }, (_, seq) => late.telemetryFate(3, seq + 1))
  t.ok(
    fates.every((f, k) => ((k + 1) % 5 === 0 ? f === Fate.Drop : f >= 1000 && f <= 4000)),
    'dropped stays dropped; the rest 1 to 1.5 s late, or the fault’s 4 s',
  )
  t.ok(new Set(fates.filter((f) => f > 0 && f < 4000)).size > 50, 'the jitter varies by sample')
  t.same(
    Array.from({ length: 50 }, (_, seq) => new LateTelemetry(faults, { delayS: 1, jitterS: 0.5 }, 11).telemetryFate(3, seq + 1)),
    fates.slice(0, 50),
    'and repeats for the same seed',
  )
  t.equal(late.count, 2, 'the publisher looks at every sample')
  late.notSent()
  t.equal(dropped, 1)
})
