import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import { polygon as turfPolygon } from '@turf/helpers'
import t from 'tap'
import { FleetIndex } from '../engine/FleetIndex.js'
import { Geofences } from '../engine/Geofences.js'
import { airPerGroundM } from '../engine/groundSpeed.js'
import { Ring } from '../engine/Ring.js'
import { RoutePlanner, type Route } from '../engine/RoutePlanner.js'
import { continuousLons, haversineM, lonDelta, polygonProblems, unwrapLon, wrapLon, type LatLon, type Zone } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { DemandGenerator } from '../sim/demand.js'
import { assignMission, stepDrone } from '../sim/flight.js'
import { FleetState, Phase, WaypointKind } from '../sim/FleetState.js'
import { noFlyZoneAt } from '../sim/noFlyZoneAt.js'
import { createRng } from '../sim/random.js'
import { MODEL_WORLD, type Scenario } from '../sim/scenario/Scenario.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'

/**
 * The map has no edge: every piece that reads or makes a position, on the
 * ±180° meridian (Taveuni, Fiji, at 16.8°S; the Chukotka coast at 67°N)
 * and at high latitude.
 */
const TAVEUNI: LatLon = { lat: -16.8, lon: 179.999 }
const CHUKOTKA: LatLon = { lat: 67, lon: -179.999 }

/** The point northM north and eastM east of o, on the sphere's local scale, its longitude wrapped. */
function off(o: LatLon, northM: number, eastM: number): LatLon {
  const lat = o.lat + northM / 111_195.08
  return { lat, lon: wrapLon(o.lon + eastM / (111_195.08 * Math.cos((o.lat * Math.PI) / 180))) }
}

/** A square of side `m` centred on `c` (its corners on both sides of 180° when c is on it). */
function square(c: LatLon, m: number): LatLon[] {
  const h = m / 2
  return [off(c, -h, -h), off(c, -h, h), off(c, h, h), off(c, h, -h)]
}

const turfContains = (poly: LatLon[], p: LatLon): boolean => {
  const lons = continuousLons(poly)
  const ring = poly.map((q, i) => [lons[i]!, q.lat])
  return booleanPointInPolygon([unwrapLon(p.lon, lons[0]!), p.lat], turfPolygon([[...ring, ring[0]!]]))
}

t.test('longitudes: the short way round, unwrapped around a reference', async (t) => {
  t.ok(Math.abs(lonDelta(179.9, -179.9) - 0.2) < 1e-9, 'east across 180° is +0.2°')
  t.ok(Math.abs(lonDelta(-179.9, 179.9) + 0.2) < 1e-9, 'west across it is -0.2°')
  t.equal(lonDelta(-122.33, -122.3), -122.3 - -122.33)
  t.ok(Math.abs(unwrapLon(-179.9, 179.9) - 180.1) < 1e-9)
  t.equal(unwrapLon(-122.3, -122.33), -122.3, 'a longitude within reach is kept to the bit')
  t.same(
    continuousLons([
      { lat: 0, lon: 179.9 },
      { lat: 0, lon: -179.9 },
      { lat: 1, lon: -179.8 },
    ]).map((x) => Math.round(x * 10) / 10),
    [179.9, 180.1, 180.2],
  )
})

t.test('zones across ±180° are accepted; a ring around a pole and a slipped sign are not', async (t) => {
  t.same(
    polygonProblems([
      { lat: 0, lon: 179.9 },
      { lat: 0.1, lon: -179.9 },
      { lat: 0.2, lon: 179.9 },
    ]),
    [],
    'a 22 km triangle across the meridian',
  )
  t.same(polygonProblems(square(TAVEUNI, 800)), [], 'a square on Taveuni')
  t.same(polygonProblems(square(CHUKOTKA, 5000)), [], 'a square on the Chukotka coast')
  t.same(polygonProblems([...square(TAVEUNI, 800), square(TAVEUNI, 800)[0]!]), [], 'closed across the meridian')
  const pole = [0, 90, 180, 270].map((lon) => ({ lat: 89.9, lon: wrapLon(lon) }))
  t.match(polygonProblems(pole), [{ message: /must not enclose a pole/ }])
  t.match(
    polygonProblems([
      { lat: 89.95, lon: 0 },
      { lat: 89.97, lon: 60 },
      { lat: 89.95, lon: 120 },
    ]),
    [{ message: /near a pole/ }],
    'a few km wide but 120° of longitude: no flat frame holds it',
  )
  t.same(polygonProblems(square({ lat: 80, lon: 179.99 }, 2000)), [], 'a square at 80°N across the meridian')
  t.match(
    polygonProblems([
      { lat: 47.61, lon: -122.3 },
      { lat: 47.62, lon: -122.3 },
      { lat: 47.62, lon: 122.29 },
    ]),
    [{ message: /may be at most 100 km across .*sign/ }],
  )
  const bowtie = square(TAVEUNI, 800)
  t.match(
    polygonProblems([bowtie[0]!, bowtie[2]!, bowtie[1]!, bowtie[3]!]),
    [{ message: /must not intersect itself/ }],
    'a bow-tie across the meridian is still one',
  )
})

t.test('Ring and Geofences: a zone across 180° is one piece, at 16.8°S and at 67°N', async (t) => {
  for (const [name, c] of [
    ['Taveuni', TAVEUNI],
    ['Chukotka', CHUKOTKA],
  ] as const) {
    const poly = [off(c, -400, -600), off(c, -400, 500), off(c, 100, 100), off(c, 450, 500), off(c, 450, -600)] // concave
    const ring = new Ring(poly)
    const g = new Geofences()
    g.set({ id: 'z', polygon: poly, noFly: true })
    const rng = createRng(11, name)
    let inside = 0,
      east = 0
    for (let i = 0; i < 3000; i++) {
      const p = off(c, -700 + rng() * 1400, -900 + rng() * 1800)
      const want = turfContains(poly, p)
      if (want) inside++
      if (p.lon < 0) east++
      if (ring.contains(p.lat, p.lon) !== want) {
        t.fail(`${name}: Ring disagrees with turf at ${p.lat},${p.lon}`)
        break
      }
      if ((g.noFlyAt(p.lat, p.lon) !== undefined) !== want) {
        t.fail(`${name}: Geofences disagrees with turf at ${p.lat},${p.lon}`)
        break
      }
      if ((noFlyZoneAt([{ id: 'z', polygon: poly, noFly: true }], p) !== undefined) !== want) {
        t.fail(`${name}: the simulator disagrees at ${p.lat},${p.lon}`)
        break
      }
    }
    t.ok(inside > 500 && inside < 2500, `${name}: a fair mix inside (${inside})`)
    t.ok(east > 500 && east < 2500, `${name}: points on both sides of 180° (${east} east of it)`)
    // The western edge runs north-south 600 m west of c, on the other side of the line from the eastern part.
    for (const m of [-100, -20, 20, 100]) {
      const p = off(c, -150, -600 + m) // m inside (positive) or outside of the western edge
      t.ok(Math.abs(ring.signedDistanceM(p.lat, p.lon) - m) < 0.5, `${name}: ${m} m → ${ring.signedDistanceM(p.lat, p.lon).toFixed(2)}`)
    }
    t.same(
      g.noFlyIn(c.lat - 0.01, unwrapLon(c.lon, 180) - 0.001, c.lat + 0.01, unwrapLon(c.lon, 180) + 0.001).map((e) => e.zone.id),
      ['z'],
      `${name}: a box past 180° finds it`,
    )
    t.same(
      g.noFlyIn(c.lat - 0.01, unwrapLon(c.lon, -180) - 0.001, c.lat + 0.01, unwrapLon(c.lon, -180) + 0.001).map((e) => e.zone.id),
      ['z'],
      `${name}: a box past -180° finds it`,
    )
    // A drone crossing the zone from west of 180° to east of it: one entry, one exit.
    const log: string[] = []
    let now: string[] | null = null
    for (let x = -900; x <= 900; x += 10)
      now = g.update(now, c.lat - 150 / 111_195, off(c, 0, x).lon, (id, entered) => log.push(`${entered ? 'enter' : 'exit'} ${id}`))
    t.same(log, ['enter z', 'exit z'], `${name}: entered and left once`)
  }
})

t.test("at 85°N the exit band holds at the zone's poleward corner", async (t) => {
  // A zone 100 km tall: at its north edge a degree of longitude is 10% shorter than at its middle.
  const sw = { lat: 85, lon: 20 }
  const zone: Zone = { id: 'arctic', polygon: [sw, { lat: 85, lon: 21 }, { lat: 85.9, lon: 21 }, { lat: 85.9, lon: 20 }], noFly: true }
  const g = new Geofences()
  g.set(zone)
  const log: string[] = []
  let now: string[] | null = null
  const at = (p: LatLon): void => {
    now = g.update(now, p.lat, p.lon, (id, entered) => log.push(`${entered ? 'enter' : 'exit'} ${id}`))
  }
  const corner = { lat: 85.89, lon: 21 }
  at(off(corner, 0, -50))
  t.same(log, ['enter arctic'])
  at(off(corner, 0, 25)) // 25 m outside the eastern edge, inside the 30 m band
  t.same(log, ['enter arctic'], 'within the band: still inside')
  t.ok(
    Math.abs(new Ring(zone.polygon).signedDistanceM(off(corner, 0, 25).lat, off(corner, 0, 25).lon) + 25) < 0.5,
    "measured at the point's own latitude",
  )
  at(off(corner, 0, 40))
  t.same(log, ['enter arctic', 'exit arctic'], 'beyond it: out')
})

t.test('FleetIndex: drones across 180° and over the pole are found by kNN with a reach and by radius', async (t) => {
  const ix = new FleetIndex<string>()
  ix.set('across', TAVEUNI.lat, -179.998, 'across')
  ix.set('far', TAVEUNI.lat, 170, 'far')
  const all = (): boolean => true
  const r = ix.nearest(TAVEUNI.lat, 179.998, 1, all, 5000)
  t.same(
    r.map((x) => x.item),
    ['across'],
    `found across the line within 5 km (${Math.round(r[0]?.distanceM ?? -1)} m)`,
  )
  t.same(
    ix.nearest(TAVEUNI.lat, 179.998, 2, all, 5000).map((x) => x.item),
    ['across'],
    'the far one is beyond the reach',
  )
  t.same(
    ix.nearest(CHUKOTKA.lat, 179.99, 3, all, 2_000_000).map((x) => x.item),
    [],
    'nothing near Chukotka',
  )
  ix.set('chukotka', CHUKOTKA.lat, CHUKOTKA.lon, 'chukotka')
  t.same(
    ix.nearest(CHUKOTKA.lat, 179.99, 1, all, 2000).map((x) => x.item),
    ['chukotka'],
    'at 67°N across the line',
  )
  // Over the pole: 89.99°N at 0° and at 180° are 2.2 km apart.
  ix.set('pole-far-side', 89.99, 180, 'pole-far-side')
  t.same(
    ix.within(89.99, 0, 3000).map((x) => x.item),
    ['pole-far-side'],
    'within reaches over the pole',
  )
  t.same(
    ix.nearest(89.99, 0, 1, all, 3000).map((x) => x.item),
    ['pole-far-side'],
    'and so does nearest',
  )
})

/** The least distance from any leg of the route to the zone, m, sampled every metre and measured by Ring (negative inside). */
function clearance(from: LatLon, r: Route, zone: Zone): number {
  const ring = new Ring(zone.polygon)
  let least = Infinity
  let a = from
  for (const b of r.waypoints) {
    const steps = Math.max(1, Math.ceil(haversineM(a.lat, a.lon, b.lat, b.lon)))
    for (let k = 0; k <= steps; k++) {
      const p = { lat: a.lat + ((b.lat - a.lat) * k) / steps, lon: wrapLon(a.lon + (lonDelta(a.lon, b.lon) * k) / steps) }
      least = Math.min(least, -ring.signedDistanceM(p.lat, p.lon))
    }
    a = b
  }
  return least
}

t.test('routes across 180° go round a zone on the line, keeping the clearance, and stay short', async (t) => {
  for (const [name, c] of [
    ['Taveuni', TAVEUNI],
    ['Chukotka', CHUKOTKA],
  ] as const) {
    const zone: Zone = { id: 'wall', polygon: [off(c, -600, -200), off(c, -600, 200), off(c, 600, 200), off(c, 600, -200)], noFly: true }
    const g = new Geofences()
    g.set(zone)
    const planner = new RoutePlanner(g, { clearanceM: 60 })
    const from = off(c, 100, -1500),
      to = off(c, -100, 1500)
    t.ok(from.lon > 0 && to.lon < 0, `${name}: from west of 180° to east of it`)
    const r = planner.route(from, to)
    if (!r) {
      t.fail(`${name}: no route`)
      continue
    }
    const straight = haversineM(from.lat, from.lon, to.lat, to.lon)
    t.ok(r.waypoints.length >= 2, `${name}: turns round the zone`)
    t.ok(
      r.lengthM > straight && r.lengthM < straight * 1.3,
      `${name}: ${Math.round(r.lengthM)} m against ${Math.round(straight)} m straight`,
    )
    t.ok(
      r.waypoints.every((w) => w.lon >= -180 && w.lon < 180),
      `${name}: every waypoint is a valid longitude`,
    )
    const cl = clearance(from, r, zone)
    t.ok(cl >= 59.7, `${name}: keeps ${cl.toFixed(1)} m from the zone`)
    // With nothing in the way the route is the straight line, the short way round.
    const clear = planner.route(off(c, 2000, -1500), off(c, 2000, 1500))!
    t.equal(clear.waypoints.length, 1, `${name}: straight when clear`)
    t.ok(Math.abs(clear.lengthM - 3000) < 5, `${name}: ${Math.round(clear.lengthM)} m`)
  }
})

t.test('wind along a leg across 180° is weighed the short way round', async (t) => {
  // A 5 m/s wind from the east: flying east across the line is into it.
  const wind = (): { eastMps: number; northMps: number } => ({ eastMps: -5, northMps: 0 })
  const a = off(TAVEUNI, 0, -1000),
    b = off(TAVEUNI, 0, 1000)
  const k = airPerGroundM(wind, 15, a, [b], 0)
  t.ok(Math.abs(k - 1.5) < 1e-6, `eastward across the line: ${k} air m per ground m, as 15 / 10`)
  t.ok(Math.abs(airPerGroundM(wind, 15, b, [a], 0) - 0.75) < 1e-6, 'westward: a tailwind')
})

function demandScenario(area: Partial<Scenario['demand']['area']>, hotspots: Scenario['demand']['hotspots'] = []): Scenario {
  return {
    name: 'fiji',
    seed: 5,
    start: 1_763_700_000_000,
    durationS: 3600,
    speed: 'max',
    tickS: 1,
    drone: { ...DEFAULT_PROFILE },
    wind: { speedMps: 0, fromDeg: 0 },
    world: MODEL_WORLD,
    regions: [],
    zones: [],
    faults: [],
    depots: [{ id: 'waiyevo', position: off(TAVEUNI, 0, -2000), drones: 4 }],
    demand: {
      ratePerHour: 600,
      phases: [],
      area: { center: TAVEUNI, radiusM: 3000, polygon: [], ...area },
      hotspots,
      pickups: [],
      weightKg: { min: 0.2, max: 2 },
      deadlineS: 1800,
    },
    expect: [],
    hash: '',
  }
}

t.test('demand on the meridian draws valid drop-offs on both sides of it', async (t) => {
  const cases: Array<[string, Scenario]> = [
    ['circle', demandScenario({})],
    ['polygon', demandScenario({ polygon: square(TAVEUNI, 4000) })],
    ['hotspot', demandScenario({}, [{ center: CHUKOTKA, radiusM: 2000, weight: 1 }])],
  ]
  for (const [name, s] of cases) {
    const arrivals = new DemandGenerator(s).until(s.start + 3_600_000)
    t.ok(arrivals.length > 400, `${name}: ${arrivals.length} requests`)
    const bad = arrivals.filter((a) => !(a.dropoff.lon >= -180 && a.dropoff.lon <= 180))
    t.same(
      bad.slice(0, 3).map((a) => a.dropoff),
      [],
      `${name}: every drop-off is a valid longitude`,
    )
    const east = arrivals.filter((a) => a.dropoff.lon < 0).length
    t.ok(east > arrivals.length / 5 && east < (arrivals.length * 4) / 5, `${name}: both sides (${east} of ${arrivals.length} east of 180°)`)
    const c = name === 'hotspot' ? CHUKOTKA : TAVEUNI
    const far = Math.max(...arrivals.map((a) => haversineM(c.lat, c.lon, a.dropoff.lat, a.dropoff.lon)))
    t.ok(
      far < (name === 'polygon' ? 2900 : name === 'hotspot' ? 2001 : 3001),
      `${name}: all within the area (farthest ${Math.round(far)} m)`,
    )
  }
})

t.test('a scenario on the meridian validates: a polygon area and a zone across it, depots on both sides', async (t) => {
  const yaml =
    'name: fiji\nseed: 1\nduration: 10 min\n' +
    'depots: [{id: west, position: [-16.8, 179.98], drones: 2}, {id: east, position: [-16.79, -179.985], drones: 2}]\n' +
    'demand: {rate: 10 /h, area: {polygon: [[-16.82, 179.97], [-16.82, -179.97], [-16.78, -179.97], [-16.78, 179.97]]}}\n' +
    'zones: [{id: reef, polygon: [[-16.805, 179.995], [-16.805, -179.995], [-16.8, -179.995], [-16.8, 179.995]]}]\n'
  const s = parseScenario(yaml, 'fiji.yaml')
  t.ok(Math.abs(lonDelta(180, s.demand.area.center.lon)) < 1e-9, `the area's centre is on the meridian (${s.demand.area.center.lon})`)
  t.ok(s.demand.area.radiusM < 5000, `radius ${Math.round(s.demand.area.radiusM)} m`)
  t.equal(s.zones.length, 1)
})

t.test('a drone flies east across 180° with valid longitudes, at 16.8°S and at 67°N', async (t) => {
  for (const [name, c] of [
    ['Taveuni', TAVEUNI],
    ['Chukotka', CHUKOTKA],
  ] as const) {
    const f = new FleetState(1)
    const start = off(c, 0, -3000),
      target = off(c, 500, 3000)
    f.lat[0] = start.lat
    f.lon[0] = start.lon
    f.battery[0] = 1
    f.phase[0] = Phase.Ground
    assignMission(f, 0, [{ ...target, kind: WaypointKind.Depot }], 0, DEFAULT_PROFILE)
    const leg = haversineM(start.lat, start.lon, target.lat, target.lon)
    let bad = 0
    let arrivedAt = -1
    for (let s = 0; s < 3000 && f.phase[0] !== Phase.Ground; s++) {
      stepDrone(f, 0, 1, DEFAULT_PROFILE)
      if (!(f.lon[0]! >= -180 && f.lon[0]! < 180)) bad++
      if (arrivedAt < 0 && haversineM(f.lat[0]!, f.lon[0]!, target.lat, target.lon) < 1) arrivedAt = s
    }
    t.equal(bad, 0, `${name}: every step's longitude is in -180..180`)
    t.equal(f.phase[0], Phase.Ground, `${name}: landed at the first depot`)
    t.ok(Math.abs(f.odoM[0]! - leg) < 1, `${name}: flew ${f.odoM[0]!.toFixed(1)} m for a ${leg.toFixed(1)} m leg`)
    t.ok(arrivedAt > 0 && arrivedAt < 10 + leg / 15 + 40, `${name}: there in ${arrivedAt} s`)
  }
})
