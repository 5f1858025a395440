import t from 'tap'
import { Geofences } from '../engine/Geofences.js'
import { Ring } from '../engine/Ring.js'
import { RoutePlanner } from '../engine/RoutePlanner.js'
import { haversineM, type LatLon, type Zone } from '../protocol/geo.js'
import { createRng } from '../sim/random.js'
import { DEPOT, harness, offset, T0 } from './engine-harness.js'

/** A rectangle from `sw`, `northM` tall and `eastM` wide. */
function rect(id: string, sw: LatLon, northM: number, eastM: number): Zone {
  return { id, polygon: [sw, offset(sw, 0, eastM), offset(sw, northM, eastM), offset(sw, northM, 0)], noFly: true }
}

/**
 * The least distance from the leg a→b to the zone's edges, m: sampled every
 * 0.5 m along the leg and measured by Ring (which measures at the sample's
 * own latitude); negative when the leg enters the zone.
 */
function legClearance(a: LatLon, b: LatLon, zone: Zone): number {
  const ring = new Ring(zone.polygon)
  const steps = Math.max(1, Math.ceil(haversineM(a.lat, a.lon, b.lat, b.lon) * 2))
  let least = Infinity
  for (let k = 0; k <= steps; k++) {
    const p = { lat: a.lat + ((b.lat - a.lat) * k) / steps, lon: a.lon + ((b.lon - a.lon) * k) / steps }
    least = Math.min(least, -ring.signedDistanceM(p.lat, p.lon))
  }
  return least
}

/** Every leg of a route against every zone: the least clearance and where. */
function worst(from: LatLon, waypoints: LatLon[], zones: Zone[]): { m: number; where: string } {
  let out = { m: Infinity, where: '' }
  let a = from
  for (const [i, b] of waypoints.entries()) {
    for (const z of zones) {
      const m = legClearance(a, b, z)
      if (m < out.m) out = { m, where: `leg ${i} to ${z.id}` }
    }
    a = b
  }
  return out
}

const CLEARANCE = 60
/** What sampling and the flat frame may cost the measurement, m. */
const SLACK = 0.3

function planner(zones: Zone[], clearanceM = CLEARANCE): RoutePlanner {
  const g = new Geofences()
  for (const z of zones) g.set(z)
  return new RoutePlanner(g, { clearanceM })
}

const WALL = rect('wall', offset(DEPOT, 1000, -400), 200, 2000)
const A = DEPOT
const B = offset(DEPOT, 2500, 0)
// A U open to the south, A's way north runs into it.
const U: Zone = {
  id: 'u',
  noFly: true,
  polygon: [
    offset(DEPOT, 800, -600),
    offset(DEPOT, 800, -400),
    offset(DEPOT, 1400, -400),
    offset(DEPOT, 1400, 400),
    offset(DEPOT, 800, 400),
    offset(DEPOT, 800, 600),
    offset(DEPOT, 1600, 600),
    offset(DEPOT, 1600, -600),
  ],
}

t.test('every leg of a routed path keeps zoneClearanceM from every zone edge', async (t) => {
  const cases: Array<[string, Zone[], LatLon, LatLon]> = [
    ['round a wall', [WALL], A, B],
    ['round a wall, the other way', [WALL], B, A],
    ['two walls', [WALL, rect('second', offset(DEPOT, 900, -1200), 500, 700)], A, B],
    ['out of a U', [U], offset(DEPOT, 1200, 0), offset(DEPOT, 2500, 300)],
    ['past a corner at a slant', [rect('block', offset(DEPOT, 500, -300), 600, 600)], offset(DEPOT, -200, -800), offset(DEPOT, 1600, 700)],
  ]
  for (const [name, zones, from, to] of cases) {
    const r = planner(zones).route(from, to)
    if (!r) {
      t.fail(`${name}: no route`)
      continue
    }
    const w = worst(from, r.waypoints, zones)
    t.ok(
      w.m >= CLEARANCE - SLACK,
      `${name}: least clearance ${w.m.toFixed(2)} m (${w.where}), ${r.waypoints.length - 1} turns, ${Math.round(r.lengthM)} m`,
    )
  }
})

t.test('random fields of zones, at 47°N and at 67°N: the clearance holds on every leg', async (t) => {
  for (const origin of [DEPOT, { lat: 67.2, lon: 15.4 }]) {
    const rng = createRng(21, `clearance-${origin.lat}`)
    let routed = 0
    for (let k = 0; k < 12; k++) {
      const zones = Array.from({ length: 6 }, (_, i) =>
        rect(`z${i}`, offset(origin, -1500 + rng() * 3000, -1500 + rng() * 3000), 150 + rng() * 500, 150 + rng() * 500),
      )
      const from = offset(origin, -2500, -2500 + rng() * 5000),
        to = offset(origin, 2500, -2500 + rng() * 5000)
      const r = planner(zones).route(from, to)
      if (!r) continue
      routed++
      const w = worst(from, r.waypoints, zones)
      if (w.m < CLEARANCE - SLACK) t.fail(`${origin.lat}°N field ${k}: ${w.m.toFixed(2)} m (${w.where})`)
    }
    t.ok(routed >= 8, `${origin.lat}°N: ${routed} of 12 fields routed, each leg clear`)
  }
})

t.test('a larger clearance is kept too, and the engine flies what it planned', async (t) => {
  const r = planner([WALL], 150).route(A, B)!
  t.ok(worst(A, r.waypoints, [WALL]).m >= 150 - SLACK, 'a 150 m clearance holds')
  // The engine's assignment: its turning points (via) are the routed legs, each clear.
  const h = harness({ zones: [WALL] })
  h.send('d-1', T0, A)
  h.create('del-1', offset(A, 100, 0), B)
  const cmd = h.commands.find((c) => c.type === 'AssignDelivery')
  if (cmd?.type !== 'AssignDelivery') return t.fail('assigned')
  const legs = [...cmd.via!.dropoff, cmd.dropoff]
  t.ok(legs.length >= 2, 'it turns round the wall')
  const w = worst(cmd.pickup, legs, [WALL])
  t.ok(w.m >= CLEARANCE - SLACK, `pickup → drop-off keeps ${w.m.toFixed(2)} m (${w.where})`)
})
