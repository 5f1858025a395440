import t from 'tap'
import type { DroneCommand } from '../protocol/commands.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE, type DroneProfile } from '../protocol/profile.js'
import { assignMission, droneState, stepDrone, type Waypoint } from '../sim/flight.js'
import { type FleetState, MAX_WAYPOINTS, WaypointKind } from '../sim/FleetState.js'
import { planMission, refusalReason } from '../sim/missionPlan.js'
import { assignmentRoute, assignmentWaypoints } from '../sim/missionWaypoints.js'
import { CALM, type Wind } from '../sim/wind.js'
import { offset } from './helpers/offset.js'
import { grounded } from './helpers/grounded.js'
import { flyFleet, quietScenario, startTestService, until } from './helpers/service.js'

const p: DroneProfile = { ...DEFAULT_PROFILE }
const DEPOT: LatLon = { lat: 47.6, lon: -122.33 }

// Round a wall 1 km north of the depot: west 500 m, north 1.5 km, back east to the pickup; the drop-off is east of it.
const PICKUP = offset(DEPOT, 2000, 0)
const DROPOFF = offset(PICKUP, 0, 1500)
const TURN_A = offset(DEPOT, 500, -500)
const TURN_B = offset(DEPOT, 1500, -500)
const BACK = offset(DEPOT, 1000, 1200)

function command(o: Partial<Extract<DroneCommand, { type: 'AssignDelivery' }>> = {}): Extract<DroneCommand, { type: 'AssignDelivery' }> {
  return {
    type: 'AssignDelivery',
    commandId: 'c-1',
    droneId: 'd-1',
    deliveryId: 'del-1',
    pickup: PICKUP,
    dropoff: DROPOFF,
    depot: DEPOT,
    payloadKg: 1.5,
    issuedAt: 0,
    via: { pickup: [TURN_A, TURN_B], dropoff: [], depot: [BACK] },
    ...o,
  }
}

const kinds = (wps: Waypoint[]): string[] => wps.map((w) => ['none', 'pickup', 'dropoff', 'depot', 'via'][w.kind]!)

t.test("the waypoints of an assignment put each leg's turning points before its target", async (t) => {
  const wps = assignmentWaypoints(command())
  t.same(kinds(wps), ['via', 'via', 'pickup', 'dropoff', 'via', 'depot'])
  t.same(
    wps.map(({ lat, lon }) => ({ lat, lon })),
    [TURN_A, TURN_B, PICKUP, DROPOFF, BACK, DEPOT],
  )
  t.same(kinds(assignmentWaypoints(command({ via: undefined }))), ['pickup', 'dropoff', 'depot'], 'no via: straight to each target')
  t.same(kinds(assignmentWaypoints(command({ via: { pickup: [], dropoff: [TURN_B], depot: [] } }))), ['pickup', 'via', 'dropoff', 'depot'])
  const loaded = assignmentWaypoints(
    command({ loaded: true, pickup: offset(DEPOT, 10, 10), via: { pickup: [], dropoff: [TURN_B], depot: [BACK] } }),
  )
  t.same(kinds(loaded), ['via', 'dropoff', 'via', 'depot'], 'loaded: the package is aboard, no pickup to fly to')
  t.same(
    assignmentRoute(DEPOT, wps),
    [DEPOT, TURN_A, TURN_B, PICKUP, DROPOFF, BACK, DEPOT],
    "the mission's route: start, then every waypoint",
  )
  const extra = { lat: 1, lon: 2, note: 'x' } as LatLon
  t.same(
    assignmentWaypoints(command({ via: { pickup: [extra], dropoff: [], depot: [] } }))[0],
    { lat: 1, lon: 2, kind: WaypointKind.Via },
    'only lat and lon are kept',
  )
})

interface Step {
  state: string
  lat: number
  lon: number
  alt: number
}

function flyHome(f: FleetState, wind: Wind = CALM, max = 10_000): Step[] {
  const out: Step[] = []
  for (let k = 0; k < max; k++) {
    stepDrone(f, 0, 1, p, wind)
    const s = { state: droneState(f, 0), lat: f.lat[0]!, lon: f.lon[0]!, alt: f.alt[0]! }
    out.push(s)
    if (s.state === 'idle' || s.state === 'charging' || s.state === 'failed') break
  }
  return out
}

const runs = (xs: string[]): string[] => xs.filter((s, k) => k === 0 || s !== xs[k - 1])
const near = (s: Step, w: LatLon): number => haversineM(s.lat, s.lon, w.lat, w.lon)

t.test(
  'turning points are flown through at cruise altitude, without landing; the drone reports cruise, or returning on the way home',
  async (t) => {
    const f = grounded()
    const wps = assignmentWaypoints(command())
    assignMission(f, 0, wps, 1.5, p)
    const run = flyHome(f)
    t.same(runs(run.map((s) => s.state)), [
      'takeoff',
      'cruise',
      'landing',
      'hover', // round the wall to the pickup: one landing
      'takeoff',
      'cruise',
      'landing',
      'hover', // straight to the drop-off
      'takeoff',
      'returning',
      'landing',
      'idle', // home by way of BACK
    ])
    for (const w of [TURN_A, TURN_B, BACK]) {
      const closest = Math.min(...run.map((s) => near(s, w)))
      t.ok(closest < 16, `passes within ${closest.toFixed(1)} m of a turning point`)
      const there = run.filter((s) => near(s, w) < 16)
      t.ok(
        there.every((s) => s.alt === p.cruiseAltitudeM),
        'at cruise altitude',
      )
    }
    // Flown length: depot → A → B → pickup → drop-off → BACK → depot.
    const legs = [DEPOT, TURN_A, TURN_B, PICKUP, DROPOFF, BACK, DEPOT]
    const length = legs.slice(1).reduce((s, w, k) => s + haversineM(legs[k]!.lat, legs[k]!.lon, w.lat, w.lon), 0)
    t.ok(Math.abs(f.odoM[0]! - length) < 0.5, `odometer ${f.odoM[0]!.toFixed(1)} m, route ${length.toFixed(1)} m`)
    t.equal(f.payload[0], 0, 'released')
  },
)

t.test('the plan prices turning points as the drone flies them, in still air and in wind', async (t) => {
  const wps = assignmentWaypoints(command())
  for (const wind of [CALM, { speedMps: 6, fromDeg: 225 }]) {
    const plan = planMission(p, wind, { lat: DEPOT.lat, lon: DEPOT.lon, alt: 0, payloadKg: 0 }, wps, 1.5)
    if (!plan.ok) throw new Error(plan.reason)
    const f = grounded()
    assignMission(f, 0, wps, 1.5, p)
    const steps = flyHome(f, wind).length
    t.ok(
      Math.abs(f.usedWh[0]! - plan.energyWh) / plan.energyWh < 0.01,
      `wind ${wind.speedMps}: flew ${f.usedWh[0]!.toFixed(2)} Wh, planned ${plan.energyWh.toFixed(2)} Wh`,
    )
    t.ok(Math.abs(steps - plan.durationS) <= 8, `took ${steps} s, planned ${plan.durationS.toFixed(1)} s`)
    t.ok(Math.abs(f.odoM[0]! - plan.distanceM) < 1, 'distance as planned')
  }
  const straight = planMission(
    p,
    CALM,
    { lat: DEPOT.lat, lon: DEPOT.lon, alt: 0, payloadKg: 0 },
    assignmentWaypoints(command({ via: undefined })),
    1.5,
  )
  const round = planMission(p, CALM, { lat: DEPOT.lat, lon: DEPOT.lon, alt: 0, payloadKg: 0 }, wps, 1.5)
  if (!straight.ok || !round.ok) throw new Error('both fly')
  t.ok(round.energyWh > straight.energyWh && round.distanceM > straight.distanceM, 'the way round costs more than straight')
  t.match(
    refusalReason(grounded(), 0, p, { speedMps: 18, fromDeg: 0 }, wps, 1.5),
    /leg 1 \(to a turning point, course \d+°\) cannot be flown/,
  )
  const long = Array.from({ length: MAX_WAYPOINTS }, (_, k): Waypoint => ({ ...offset(DEPOT, 10 * k, 0), kind: WaypointKind.Via }))
  t.match(
    refusalReason(grounded(), 0, p, CALM, [...long, { ...DEPOT, kind: WaypointKind.Depot }], 0),
    /more than the 32 a drone can hold/,
    'a route too long for the drone is refused, not cut short',
  )
})

t.test('a loaded assignment: the package stays aboard, no pickup is flown, and the plan counts its weight', async (t) => {
  const f = grounded()
  assignMission(f, 0, assignmentWaypoints(command({ via: undefined })), 1.5, p)
  // Fly to the pickup and load, then take off for the drop-off.
  for (let k = 0; k < 2000 && !(droneState(f, 0) === 'cruise' && f.payload[0]! > 0); k++) stepDrone(f, 0, 1, p)
  t.equal(f.payload[0], 1.5, 'loaded at the pickup')
  const here = { lat: f.lat[0]!, lon: f.lon[0]! }
  const newDropoff = offset(DROPOFF, -300, 0)
  const cmd = command({ loaded: true, pickup: here, dropoff: newDropoff, via: { pickup: [], dropoff: [], depot: [] } })
  const wps = assignmentWaypoints(cmd)
  t.same(kinds(wps), ['dropoff', 'depot'])
  const asIfEmpty = planMission(p, CALM, { ...here, alt: f.alt[0]!, payloadKg: 0 }, wps, 1.5)
  const aboard = planMission(p, CALM, { ...here, alt: f.alt[0]!, payloadKg: 1.5 }, wps, 1.5)
  if (!asIfEmpty.ok || !aboard.ok) throw new Error('both fly')
  t.ok(aboard.energyWh > asIfEmpty.energyWh, 'the package aboard costs energy on the way to the drop-off')
  t.equal(refusalReason(f, 0, p, CALM, wps, 1.5, true), undefined)
  assignMission(f, 0, wps, 1.5, p, true)
  const run = flyHome(f)
  t.same(
    runs(run.map((s) => s.state)),
    ['cruise', 'landing', 'hover', 'takeoff', 'returning', 'landing', 'idle'],
    'straight on to the new drop-off, one landing there',
  )
  t.ok(
    run.some((s) => near(s, newDropoff) < 0.01 && s.alt === 0),
    'it landed at the new drop-off',
  )
  t.equal(f.payload[0], 0, 'and released the package there')

  // A drone still hovering at the pickup when told it is loaded keeps the package.
  const g = grounded(1, PICKUP)
  assignMission(g, 0, assignmentWaypoints(command({ via: undefined })), 1.5, p)
  t.equal(droneState(g, 0), 'hover')
  assignMission(g, 0, wps, 1.5, p, true)
  t.equal(g.payload[0], 1.5, 'the package is aboard')
})

t.test('end to end: the engine routes a delivery round a no-fly zone and the simulator flies the way round', async (t) => {
  const scenario = quietScenario()
  const hub = scenario.depots[0]!.position
  const service = await startTestService(scenario)
  const api = service.gateway.httpUrl
  const auth = { authorization: 'Bearer test-key', 'content-type': 'application/json' }
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the route answers
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${api}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    return { status: r.status, body: await r.json() }
  }
  // A wall 1 km north of the hub, 200 m deep, from 400 m west to 1600 m east of it.
  const sw = offset(hub, 1000, -400)
  const wall = [sw, offset(sw, 0, 2000), offset(sw, 200, 2000), offset(sw, 200, 0)]
  t.equal((await call('POST', '/v1/zones', { id: 'wall', polygon: wall })).status, 202)
  await until(async () => ((await call('GET', '/v1/zones/wall')).status === 200 ? true : undefined), 10_000, 'the zone')

  const { sim, simClient, land } = await flyFleet(t, service, scenario, { workers: 1, speed: 100 })
  const commands: DroneCommand[] = []
  simClient.on('message', (topic, payload) => {
    if (service.topics.droneIdOf(topic) !== undefined && topic.includes('/commands/'))
      commands.push(JSON.parse(String(payload)) as DroneCommand)
  })
  await until(async () => ((await call('GET', '/v1/drones')).body.items.length === 3 ? true : undefined), 10_000, 'the fleet')
  const dropoff = offset(hub, 2500, 0)
  const created = await call('POST', '/v1/deliveries', { pickup: hub, dropoff, weightKg: 1 })
  t.equal(created.status, 202)
  const done = await until(
    async () => {
      const d = (await call('GET', `/v1/deliveries/${created.body.id}`)).body
      return d.status === 'Completed' || d.status === 'Failed' ? d : undefined
    },
    30_000,
    'the delivery to end',
  )
  t.equal(done.status, 'Completed', JSON.stringify(done.history?.at(-1)))
  t.notOk(
    done.history.some((e: { type: string }) => e.type === 'GeofenceEntered'),
    'the drone never entered the zone',
  )

  const cmd = commands.find((c) => c.type === 'AssignDelivery')
  if (cmd?.type !== 'AssignDelivery') throw new Error('no AssignDelivery seen')
  t.ok((cmd.via?.dropoff.length ?? 0) >= 1, `${cmd.via?.dropoff.length} turning points on the way to the drop-off`)
  const mission = sim.missions.find((m) => m.deliveryId === created.body.id)!
  t.same(
    mission.route.slice(1),
    assignmentRoute(hub, assignmentWaypoints(cmd)).slice(1),
    "the mission's route is the command's, turning points included",
  )
  await land()
  // Straight to the drop-off is 2500 m; round the wall's west end, about 2690 m.
  t.ok(mission.distanceM > 2600, `flew ${mission.distanceM} m by the drop-off, more than straight there`)
})
