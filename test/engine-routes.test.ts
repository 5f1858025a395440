import t from 'tap'
import { Geofences } from '../engine/Geofences.js'
import { Ring } from '../engine/Ring.js'
import { RoutePlanner, type Route } from '../engine/RoutePlanner.js'
import { haversineM, type LatLon, type Zone } from '../protocol/geo.js'
import { DEPOT, Flight, harness, offset, S, T0 } from './engine-harness.js'

/** A rectangle from `sw`, `northM` tall and `eastM` wide. */
function rect(id: string, sw: LatLon, northM: number, eastM: number): Zone {
  return { id, polygon: [sw, offset(sw, 0, eastM), offset(sw, northM, eastM), offset(sw, northM, 0)], noFly: true }
}

function planner(zones: Zone[], clearanceM = 60): RoutePlanner {
  const g = new Geofences()
  for (const z of zones) g.set(z)
  return new RoutePlanner(g, { clearanceM })
}

/** The smallest distance from any point along the route (sampled every ~5 m) to the zone, m; negative when it enters. */
function clearance(from: LatLon, r: Route, zone: Zone): number {
  const ring = new Ring(zone.polygon)
  let least = Infinity
  let a = from
  for (const b of r.waypoints) {
    const steps = Math.max(1, Math.ceil(haversineM(a.lat, a.lon, b.lat, b.lon) / 5))
    for (let k = 0; k <= steps; k++) {
      const p = { lat: a.lat + ((b.lat - a.lat) * k) / steps, lon: a.lon + ((b.lon - a.lon) * k) / steps }
      least = Math.min(least, -ring.signedDistanceM(p.lat, p.lon))
    }
    a = b
  }
  return least
}

// A wall 2 km wide and 200 m deep, 1 km north of A, its west end 400 m west of the A–B line.
const A = DEPOT
const B = offset(DEPOT, 2500, 0)
const WALL = rect('wall', offset(DEPOT, 1000, -400), 200, 2000)

t.test('without zones in the way a route is the straight line', async (t) => {
  const r = planner([rect('elsewhere', offset(DEPOT, 0, 5000), 500, 500)]).route(A, B)!
  t.same(r.waypoints, [B])
  t.ok(Math.abs(r.lengthM - haversineM(A.lat, A.lon, B.lat, B.lon)) < 1e-6)
  t.equal(r.airPerM, 1)
})

t.test('a route goes around a zone on the shorter side, keeping clear of it', async (t) => {
  const r = planner([WALL]).route(A, B)!
  t.ok(r, 'a route exists')
  t.ok(r.waypoints.length >= 3, `turns ${r.waypoints.length - 1} times`)
  t.same(r.waypoints.at(-1), B, 'ends at the target')
  const c = clearance(A, r, WALL)
  t.ok(c > 30, `keeps ${c.toFixed(1)} m from the zone`)
  // Round the west end: hugging the corners it is 2637 m; round a box 60 m out, 2689 m. The east way is over 4 km.
  const hugging = Math.hypot(400, 1000) + 200 + Math.hypot(400, 1300)
  const boxed = Math.hypot(460, 940) + 320 + Math.hypot(460, 1240)
  t.ok(r.lengthM > hugging && r.lengthM < boxed, `${Math.round(r.lengthM)} m, between ${Math.round(hugging)} and ${Math.round(boxed)} m`)
  t.ok(
    r.waypoints.slice(0, -1).every((w) => w.lon < A.lon),
    'every turn is on the west side',
  )
  t.ok(Math.abs(r.rest[0]! + haversineM(A.lat, A.lon, r.waypoints[0]!.lat, r.waypoints[0]!.lon) - r.lengthM) < 1e-6, 'rest[] adds up')
})

t.test('a zone beyond the first detour is found and avoided too', async (t) => {
  // A second wall across the western way round.
  const second = rect('second', offset(DEPOT, 900, -1200), 500, 700)
  const r = planner([WALL, second]).route(A, B)!
  t.ok(r, 'a route exists')
  t.ok(clearance(A, r, WALL) > 30, 'clear of the first')
  t.ok(clearance(A, r, second) > 30, 'clear of the second')
})

t.test('no route when the target is walled in', async (t) => {
  const c = offset(DEPOT, 3000, 0)
  const box = [
    rect('s', offset(c, -600, -600), 200, 1200),
    rect('n', offset(c, 400, -600), 200, 1200),
    rect('w', offset(c, -600, -600), 1200, 200),
    rect('e', offset(c, -600, 400), 1200, 200),
  ]
  t.equal(planner(box).route(A, c), undefined)
})

t.test('a drone caught inside a zone may fly out of it', async (t) => {
  const inside = offset(WALL.polygon[0]!, 100, 1000)
  const r = planner([WALL]).route(inside, offset(DEPOT, -500, 0))
  t.ok(r, 'the zone holding the start does not trap it')
})

t.test('the engine routes missions around no-fly zones and refuses pickups and drop-offs inside them', async (t) => {
  const h = harness({ zones: [WALL] })
  h.send('d-1', T0, A, 'idle', { battery: 1 })
  h.create('inside', A, offset(WALL.polygon[0]!, 100, 300))
  t.same(h.typesOf('inside'), ['DeliveryCreated', 'DeliveryFailed'])
  const refused = h.events.at(-1)
  t.ok(
    refused?.type === 'DeliveryFailed' && /drop-off .* lies inside no-fly zone "wall"/.test(refused.reason),
    refused?.type === 'DeliveryFailed' ? refused.reason : '',
  )

  h.create('del-1', A, B)
  const cmd = h.commands.at(-1)
  if (cmd?.type !== 'AssignDelivery') throw new Error('expected AssignDelivery')
  t.same(cmd.via?.pickup, [], 'already at the pickup')
  t.ok((cmd.via?.dropoff.length ?? 0) >= 2, 'turning points on the way to the drop-off')
  t.ok(cmd.via!.depot.length >= 2, 'and on the way back to the depot')
  const routed = h.engine.delivery('del-1')!.plan!.toDropoff
  t.ok(clearance(A, routed, WALL) > 30)

  // The promised ETA is for the way round, and a drone that flies it arrives on time.
  const assigned = h.events.at(-1)
  if (assigned?.type !== 'DroneAssigned') throw new Error('expected DroneAssigned')
  const f = new Flight(h, 'd-1', A, T0)
  f.hover(31)
  f.takeoff()
  for (const w of [...cmd.via!.dropoff, B]) f.cruise(w)
  f.land()
  f.hover(31)
  t.equal(h.engine.delivery('del-1')?.status, 'Completed')
  t.ok(Math.abs(assigned.eta.at - f.ts) < 15 * S, `promised ${(assigned.eta.at - T0) / S} s, released at ${(f.ts - T0) / S} s`)
})

t.test('a delivery no route can serve fails with a reason', async (t) => {
  const c = offset(DEPOT, 3000, 0)
  const box = [
    rect('s', offset(c, -600, -600), 200, 1200),
    rect('n', offset(c, 400, -600), 200, 1200),
    rect('w', offset(c, -600, -600), 1200, 200),
    rect('e', offset(c, -600, 400), 1200, 200),
  ]
  const h = harness({ zones: box })
  h.send('d-1', T0, A)
  h.create('del-1', A, c)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DeliveryFailed'])
  t.match(h.events.at(-1), { reason: /no route .* no-fly zones/ })
})
