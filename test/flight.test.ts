import t from 'tap'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE, type DroneProfile } from '../protocol/profile.js'
import type { DroneState } from '../protocol/telemetry.js'
import { ARRIVAL_M, assignMission, droneState, READY_BATTERY, stepDrone, type Waypoint } from '../sim/flight.js'
import { FleetState, MAX_WAYPOINTS, Phase, WaypointKind } from '../sim/FleetState.js'
import { sliceRanges } from '../sim/shards.js'
import { offset } from './helpers/offset.js'

const p: DroneProfile = { ...DEFAULT_PROFILE }
const DEPOT: LatLon = { lat: 47.6, lon: -122.33 }

// 1207 m: not a whole number of 15 m steps, so the last cruise step is a short one.
const PICKUP = offset(DEPOT, 1207, 0)
const DROPOFF = offset(PICKUP, 0, 900)
const CARGO = 1.2
const mission: Waypoint[] = [
  { ...PICKUP, kind: WaypointKind.Pickup },
  { ...DROPOFF, kind: WaypointKind.Dropoff },
  { ...DEPOT, kind: WaypointKind.Depot },
]

/** A fleet of `n` drones on the ground at `at` with the given batteries. */
function fleet(batteries: number[], at: LatLon = DEPOT): FleetState {
  const f = new FleetState(batteries.length)
  batteries.forEach((b, i) => {
    f.lat[i] = at.lat
    f.lon[i] = at.lon
    f.battery[i] = b
    f.phase[i] = Phase.Ground
  })
  return f
}

interface Snap {
  state: DroneState
  lat: number
  lon: number
  alt: number
  speed: number
  heading: number
  battery: number
  payload: number
}

function snap(f: FleetState, i: number): Snap {
  return {
    state: droneState(f, i),
    lat: f.lat[i]!,
    lon: f.lon[i]!,
    alt: f.alt[i]!,
    speed: f.speed[i]!,
    heading: f.heading[i]!,
    battery: f.battery[i]!,
    payload: f.payload[i]!,
  }
}

/** Steps every drone until drone `i` is back on the ground (or `max` steps); returns drone i after each step. */
function fly(f: FleetState, i: number, dt: number, max = 5000): Snap[] {
  const out: Snap[] = []
  for (let k = 0; k < max; k++) {
    for (let j = 0; j < f.n; j++) stepDrone(f, j, dt, p)
    const s = snap(f, i)
    out.push(s)
    if (s.state === 'idle' || s.state === 'charging' || s.state === 'failed') break
  }
  return out
}

/** Runs of equal states: ['takeoff', 'takeoff', 'cruise'] → ['takeoff', 'cruise']. */
function phases(states: DroneState[]): DroneState[] {
  return states.filter((s, k) => k === 0 || s !== states[k - 1])
}

const dist = (s: { lat: number; lon: number }, to: LatLon): number => haversineM(s.lat, s.lon, to.lat, to.lon)

t.test('a full mission: take off, pick up, deliver, return, land', async (t) => {
  const f = fleet([1, 0.3, 1])
  assignMission(f, 0, mission, CARGO, p)
  t.equal(droneState(f, 0), 'takeoff', 'a ground drone given a mission takes off')
  const run = fly(f, 0, 1)
  t.same(phases(['takeoff', ...run.map((s) => s.state)]), [
    'takeoff',
    'cruise',
    'landing',
    'hover', // to the pickup, handle
    'takeoff',
    'cruise',
    'landing',
    'hover', // to the drop-off, release
    'takeoff',
    'returning',
    'landing',
    'idle', // home
  ])
  const last = run.at(-1)!
  t.equal(last.lat, DEPOT.lat)
  t.equal(last.lon, DEPOT.lon)
  t.equal(last.alt, 0)
  t.equal(last.payload, 0)
  t.equal(f.wpCount[0], 0, 'the mission is over')
})

t.test('takeoff climbs at the climb rate to cruise altitude', async (t) => {
  const f = fleet([1])
  assignMission(f, 0, mission, CARGO, p)
  const run = fly(f, 0, 1)
  const climb = run.slice(0, run.findIndex((s) => s.state === 'cruise') + 1)
  t.same(
    climb.map((s) => s.alt),
    [4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60],
  )
  t.ok(
    climb.every((s) => s.lat === DEPOT.lat && s.lon === DEPOT.lon),
    'straight up',
  )
  t.ok(
    run.filter((s) => s.state === 'cruise' || s.state === 'returning').every((s) => s.alt === p.cruiseAltitudeM),
    'cruises at cruise altitude',
  )
})

t.test('cruise closes on the target at cruise speed, heading for it', async (t) => {
  const f = fleet([1])
  assignMission(f, 0, mission, CARGO, p)
  const run = fly(f, 0, 1)
  const toPickup = run.filter((s) => s.state === 'cruise' && s.payload === 0)
  // The step that reaches cruise altitude, then floor(1207 / 15) = 80 whole steps; the short 81st lands.
  t.equal(toPickup.length, 81)
  for (let k = 1; k < toPickup.length; k++) {
    const shrink = dist(toPickup[k - 1]!, PICKUP) - dist(toPickup[k]!, PICKUP)
    t.ok(Math.abs(shrink - p.cruiseSpeedMps) < 0.01, `step ${k}: ${shrink.toFixed(3)} m closer`)
  }
  t.ok(Math.abs(dist(toPickup.at(-1)!, PICKUP) - 7) < 0.01, 'the last cruise sample is 7 m short')
  // The first cruise sample is the step that finished the climb, at speed 0.
  t.ok(
    toPickup.slice(1).every((s) => s.speed === p.cruiseSpeedMps),
    'moving at cruise speed',
  )
  t.ok(
    toPickup.slice(1).every((s) => s.heading < 0.5 || s.heading > 359.5),
    'heading north, at the pickup',
  )
  const arrived = run.find((s) => s.state === 'landing')!
  t.equal(arrived.lat, PICKUP.lat, 'the arrival step puts it exactly on the pickup')
  t.equal(arrived.lon, PICKUP.lon)
  t.equal(arrived.alt, p.cruiseAltitudeM, 'and it starts landing from cruise altitude')
})

t.test('landing descends at the climb rate onto the waypoint', async (t) => {
  const f = fleet([1])
  assignMission(f, 0, mission, CARGO, p)
  const run = fly(f, 0, 1)
  const first = run.findIndex((s) => s.state === 'landing')
  const landing = run.slice(
    first,
    run.findIndex((s, k) => k > first && s.state !== 'landing'),
  )
  t.same(
    landing.map((s) => s.alt),
    [60, 56, 52, 48, 44, 40, 36, 32, 28, 24, 20, 16, 12, 8, 4],
  )
  t.ok(
    landing.every((s) => dist(s, PICKUP) < 0.01),
    'straight down onto the pickup',
  )
  // The first landing sample is the step that flew the last metres.
  t.ok(
    landing.slice(1).every((s) => s.speed === 0),
    'no ground speed while descending',
  )
})

t.test('handling lasts handlingS in state hover; the cargo is loaded at the pickup and released at the drop-off', async (t) => {
  for (const dt of [1, 2, 5]) {
    const f = fleet([1])
    assignMission(f, 0, mission, CARGO, p)
    const run = fly(f, 0, dt)
    const atPickup = run.filter((s) => s.state === 'hover' && dist(s, PICKUP) < 1)
    const atDropoff = run.filter((s) => s.state === 'hover' && dist(s, DROPOFF) < 1)
    t.equal(atPickup.length * dt, p.handlingS, `dt ${dt}: ${atPickup.length} hover samples at the pickup`)
    t.equal(atDropoff.length * dt, p.handlingS, `dt ${dt}: ${atDropoff.length} hover samples at the drop-off`)
    t.ok(
      atPickup.every((s) => s.payload === 0 && s.alt === 0 && s.speed === 0),
      'empty while loading',
    )
    t.ok(
      atDropoff.every((s) => s.payload === CARGO),
      'loaded while releasing',
    )
    t.ok(run.filter((s) => s.state === 'cruise' && s.payload > 0).length > 0, 'flies loaded to the drop-off')
    t.ok(
      run.filter((s) => s.state === 'returning').every((s) => s.payload === 0),
      'flies home empty',
    )
  }
})

t.test('battery drains in flight, more per metre when loaded, at hover power while handling, and charges on the ground', async (t) => {
  const f = fleet([1, 0.3])
  assignMission(f, 0, mission, CARGO, p)
  const run = fly(f, 0, 1)
  const flying = new Set<DroneState>(['takeoff', 'cruise', 'landing', 'returning'])
  // The state before a step is the phase the drone was in during it.
  let prev: Snap = { ...run[0]!, state: 'takeoff', battery: 1 }
  for (const s of run) {
    if (flying.has(prev.state)) t.ok(s.battery < prev.battery, `${prev.state}: ${s.battery} < ${prev.battery}`)
    else if (prev.state === 'hover')
      t.ok(Math.abs((prev.battery - s.battery) * p.batteryWh - p.hoverW / 3600) < 1e-9, 'handling draws hover power')
    prev = s
  }
  const drain = (state: DroneState, loaded: boolean): number => {
    const k = run.findIndex(
      (s, j) => j > 0 && s.state === state && run[j - 1]!.state === state && run[j + 1]?.state === state && s.payload > 0 === loaded,
    )
    return run[k - 1]!.battery - run[k]!.battery
  }
  const emptyWh = drain('cruise', false) * p.batteryWh
  const loadedWh = drain('cruise', true) * p.batteryWh
  t.ok(Math.abs(emptyWh - 0.015 * p.whPerKm) < 1e-6, `empty: ${emptyWh} Wh per 15 m`)
  t.ok(Math.abs(loadedWh - 0.015 * (p.whPerKm + p.whPerKgKm * CARGO)) < 1e-6, `loaded: ${loadedWh} Wh per 15 m`)
  t.ok(Math.abs(drain('takeoff', false) * p.batteryWh - p.hoverW / 3600) < 1e-9, 'climbing draws hover power')

  // The drone that stayed on the ground charged meanwhile, at chargeW.
  const expected = 0.3 + (p.chargeW * run.length) / 3600 / p.batteryWh
  t.ok(Math.abs(f.battery[1]! - expected) < 1e-9, `ground drone charged to ${f.battery[1]}`)

  // Back home, it charges; never above full.
  const home = f.battery[0]!
  t.ok(home < 1 && home > 0.7, `home with ${home}`)
  for (let k = 0; k < 10; k++) stepDrone(f, 0, 1, p)
  t.ok(Math.abs(f.battery[0]! - (home + (10 * p.chargeW) / 3600 / p.batteryWh)) < 1e-9, 'charges at chargeW')
  for (let k = 0; k < 2000; k++) stepDrone(f, 0, 1, p)
  t.equal(f.battery[0], 1)
})

t.test('it ends idle with charge to spare, charging without; charging turns idle at READY_BATTERY', async (t) => {
  const cases: Array<[start: number, ends: DroneState]> = [
    [1, 'idle'],
    [0.6, 'charging'],
  ]
  for (const [start, ends] of cases) {
    const f = fleet([start])
    assignMission(f, 0, mission, CARGO, p)
    const last = fly(f, 0, 1).at(-1)!
    t.equal(last.state, ends, `starting at ${start}, home at ${last.battery.toFixed(3)}: ${ends}`)
    t.equal(dist(last, DEPOT), 0)
  }
  const f = fleet([0.6])
  assignMission(f, 0, mission, CARGO, p)
  fly(f, 0, 1)
  let steps = 0
  while (droneState(f, 0) === 'charging' && steps < 10_000) {
    stepDrone(f, 0, 1, p)
    steps++
  }
  t.equal(droneState(f, 0), 'idle')
  t.ok(f.battery[0]! >= READY_BATTERY && f.battery[0]! - READY_BATTERY < 0.001, `idle at ${f.battery[0]}`)
})

t.test('a drone on the ground at the pickup starts handling at once', async (t) => {
  const f = fleet([1, 1], offset(PICKUP, 0, ARRIVAL_M - 1))
  assignMission(f, 0, mission, CARGO, p)
  t.equal(droneState(f, 0), 'hover')
  t.equal(f.timer[0], p.handlingS)
  t.equal(f.alt[0], 0)
  const run = fly(f, 0, 1)
  t.same(phases(['hover', ...run.map((s) => s.state)]), [
    'hover',
    'takeoff',
    'cruise',
    'landing',
    'hover',
    'takeoff',
    'returning',
    'landing',
    'idle',
  ])
  t.equal(
    run.findIndex((s) => s.state === 'takeoff'),
    p.handlingS - 1,
    'takes off after handlingS',
  )
  t.equal(run.find((s) => s.state === 'takeoff')?.payload, CARGO, 'with the package')

  // Just outside the arrival distance it has to fly there first.
  const g = fleet([1], offset(PICKUP, 0, ARRIVAL_M + 5))
  assignMission(g, 0, mission, CARGO, p)
  t.equal(droneState(g, 0), 'takeoff')
})

t.test('ReturnToDepot mid-flight: it turns for home at once, without the package it never loaded', async (t) => {
  const f = fleet([1])
  assignMission(f, 0, mission, CARGO, p)
  for (let k = 0; k < 40; k++) stepDrone(f, 0, 1, p)
  t.equal(droneState(f, 0), 'cruise')
  assignMission(f, 0, [{ ...DEPOT, kind: WaypointKind.Depot }], 0, p)
  t.equal(droneState(f, 0), 'returning')
  const run = fly(f, 0, 1)
  t.same(phases(['returning', ...run.map((s) => s.state)]), ['returning', 'landing', 'idle'])
  t.equal(dist(run.at(-1)!, DEPOT), 0)
  t.ok(run.every((s) => s.payload === 0))
})

t.test('a drone that runs out of battery fails, and then ignores steps and missions', async (t) => {
  const f = fleet([0.01])
  assignMission(f, 0, mission, CARGO, p)
  const run = fly(f, 0, 1)
  t.equal(run.at(-1)?.state, 'failed')
  t.equal(f.battery[0], 0)
  const before = snap(f, 0)
  for (let k = 0; k < 5; k++) stepDrone(f, 0, 1, p)
  assignMission(f, 0, mission, CARGO, p)
  t.same(snap(f, 0), before)
})

t.test('droneState maps each phase to its telemetry state', async (t) => {
  const f = new FleetState(1)
  const cases: Array<[phase: number, battery: number, target: number, expected: DroneState]> = [
    [Phase.Ground, 1, WaypointKind.None, 'idle'],
    [Phase.Ground, READY_BATTERY, WaypointKind.None, 'idle'],
    [Phase.Ground, READY_BATTERY - 0.001, WaypointKind.None, 'charging'],
    [Phase.Takeoff, 1, WaypointKind.Pickup, 'takeoff'],
    [Phase.Takeoff, 1, WaypointKind.Depot, 'takeoff'],
    [Phase.Cruise, 1, WaypointKind.Pickup, 'cruise'],
    [Phase.Cruise, 1, WaypointKind.Dropoff, 'cruise'],
    [Phase.Cruise, 1, WaypointKind.Depot, 'returning'],
    [Phase.Landing, 1, WaypointKind.Depot, 'landing'],
    [Phase.Handling, 1, WaypointKind.Pickup, 'hover'],
    [Phase.Failed, 0, WaypointKind.Pickup, 'failed'],
  ]
  for (const [phase, battery, target, expected] of cases) {
    f.phase[0] = phase
    f.battery[0] = battery
    f.wpIndex[0] = 1
    f.wpKind[1] = target
    t.equal(droneState(f, 0), expected, `phase ${phase}, battery ${battery}, target kind ${target}`)
  }
  // Cruising to a turning point, a drone reports what lies beyond it: the depot (returning) or a target (cruise).
  f.phase[0] = Phase.Cruise
  f.wpCount[0] = 4
  f.wpIndex[0] = 1
  f.wpKind.set([WaypointKind.Dropoff, WaypointKind.Via, WaypointKind.Via, WaypointKind.Depot], 0)
  t.equal(droneState(f, 0), 'returning', 'via, via, depot')
  f.wpKind[3] = WaypointKind.Dropoff
  t.equal(droneState(f, 0), 'cruise', 'via, via, drop-off')
  t.ok(MAX_WAYPOINTS >= 3 + 2 * 3, 'room for turning points besides pickup, drop-off and depot')
})

t.test('drones in one FleetState do not disturb each other', async (t) => {
  const f = fleet([1, 1, 1])
  assignMission(f, 1, mission, CARGO, p)
  const run = fly(f, 1, 1)
  t.equal(run.at(-1)?.state, 'idle')
  for (const i of [0, 2]) {
    t.equal(droneState(f, i), 'idle')
    t.equal(f.lat[i], DEPOT.lat)
    t.equal(f.alt[i], 0)
    t.equal(f.wpCount[i], 0)
  }
})

t.test('sliceRanges splits [0, n) into contiguous, near-equal ranges covering each drone exactly once', async (t) => {
  const cases: Array<[n: number, parts: number]> = [
    [0, 1],
    [0, 4],
    [1, 1],
    [1, 4],
    [2, 3],
    [5, 2],
    [7, 3],
    [10, 4],
    [10, 10],
    [10, 16],
    [100, 7],
    [1001, 8],
    [3, 0],
  ]
  for (const [n, parts] of cases) {
    const r = sliceRanges(n, parts)
    const name = `n=${n}, parts=${parts}`
    t.equal(r.length, Math.max(1, Math.min(parts, n)), `${name}: ${r.length} ranges`)
    t.equal(r[0]?.[0], 0, `${name}: starts at 0`)
    t.equal(r.at(-1)?.[1], n, `${name}: ends at n`)
    t.ok(
      r.every(([from, to], k) => to >= from && (k === 0 || from === r[k - 1]![1])),
      `${name}: contiguous, no overlap`,
    )
    const covered = new Array<number>(n).fill(0)
    for (const [from, to] of r) for (let i = from; i < to; i++) covered[i]!++
    t.ok(
      covered.every((c) => c === 1),
      `${name}: every index exactly once`,
    )
    const sizes = r.map(([from, to]) => to - from)
    if (n > 0) t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1 && Math.min(...sizes) >= 1, `${name}: sizes ${sizes.join(',')}`)
  }
})
