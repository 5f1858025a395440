import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import { polygon as turfPolygon } from '@turf/helpers'
import t from 'tap'
import { Geofences } from '../engine/Geofences.js'
import { Ring } from '../engine/Ring.js'
import { polygonProblems, type LatLon, type Zone } from '../protocol/geo.js'
import { createRng } from '../sim/random.js'
import { DEPOT, harness, offset, S, T0 } from './engine-harness.js'

/** A square of side `sideM` whose south-west corner is `sw`. */
function square(sw: LatLon, sideM: number): LatLon[] {
  return [sw, offset(sw, 0, sideM), offset(sw, sideM, sideM), offset(sw, sideM, 0)]
}

const ZONE_SW = offset(DEPOT, 2000, -500)
const ZONE: Zone = { id: 'stadium', name: 'Stadium', polygon: square(ZONE_SW, 1000), noFly: true }
/** A point on the zone's southern edge, and `m` metres north (inside) or south (outside) of it. */
const EDGE = offset(ZONE_SW, 0, 500)
const across = (m: number): LatLon => offset(EDGE, m, 0)

t.test("Ring agrees with turf's point-in-polygon on random points around a concave polygon", async (t) => {
  const pts = [offset(DEPOT, 0, 0), offset(DEPOT, 0, 1000), offset(DEPOT, 1000, 1000), offset(DEPOT, 500, 500), offset(DEPOT, 1000, 0)]
  const ring = new Ring(pts)
  const poly = turfPolygon([[...pts, pts[0]!].map((p) => [p.lon, p.lat])])
  const rng = createRng(7, 'ring')
  let inside = 0
  for (let i = 0; i < 2000; i++) {
    const p = offset(DEPOT, -200 + rng() * 1400, -200 + rng() * 1400)
    const turf = booleanPointInPolygon([p.lon, p.lat], poly)
    if (turf) inside++
    if (ring.contains(p.lat, p.lon) !== turf) t.fail(`disagree at ${p.lat},${p.lon}: turf says ${turf}`)
  }
  t.ok(inside > 300 && inside < 1700, `a fair mix of inside (${inside}) and outside points`)
})

t.test('signedDistanceM is the distance to the boundary, positive inside', async (t) => {
  const ring = new Ring(ZONE.polygon)
  for (const m of [-200, -30, -10, 10, 30, 200]) {
    const p = across(m)
    t.ok(Math.abs(ring.signedDistanceM(p.lat, p.lon) - m) < 0.5, `${m} m → ${ring.signedDistanceM(p.lat, p.lon).toFixed(2)}`)
  }
})

t.test('±15 m of GPS noise at a boundary gives one entry and no flapping; leaving for real gives one exit', async (t) => {
  const g = new Geofences()
  g.set(ZONE)
  const log: string[] = []
  let inside: string[] | null = null
  const at = (p: LatLon): void => {
    inside = g.update(inside, p.lat, p.lon, (id, entered) => log.push(`${entered ? 'enter' : 'exit'} ${id}`))
  }
  const rng = createRng(3, 'noise')
  at(across(-300))
  t.same(log, [])
  // Sitting on the boundary for 10 minutes, each fix off by up to 15 m either way.
  for (let i = 0; i < 600; i++) at(across((rng() * 2 - 1) * 15))
  t.same(log, ['enter stadium'], 'entered once, never left')
  at(across(300))
  t.same(inside, ['stadium'])
  for (let i = 0; i < 600; i++) at(across((rng() * 2 - 1) * 15))
  t.same(log, ['enter stadium'], 'back at the boundary from inside: still no exit')
  at(across(-31))
  t.same(log, ['enter stadium', 'exit stadium'], 'out beyond the band: one exit')
  t.equal(inside, null)

  // The same noise without a band flaps: the test would notice the hysteresis missing.
  const bare = new Geofences({ exitBandM: 0 })
  bare.set(ZONE)
  let flips = 0
  let state: string[] | null = null
  for (let i = 0; i < 600; i++) {
    const p = across((rng() * 2 - 1) * 15)
    state = bare.update(state, p.lat, p.lon, () => {
      flips++
    })
  }
  t.ok(flips > 100, `without the band the same noise flips ${flips} times`)
})

t.test('a removed zone is exited; noFlyAt finds only no-fly zones', async (t) => {
  const g = new Geofences()
  g.set(ZONE)
  g.set({ id: 'park', polygon: square(offset(DEPOT, -3000, 0), 500), noFly: false })
  const inPark = offset(DEPOT, -2800, 200)
  t.equal(g.noFlyAt(inPark.lat, inPark.lon), undefined, 'a watched zone is not a no-fly zone')
  t.equal(g.noFlyAt(across(50).lat, across(50).lon)?.id, 'stadium')
  t.equal(g.noFlyAt(across(-50).lat, across(-50).lon), undefined)
  const log: string[] = []
  let inside = g.update(null, inPark.lat, inPark.lon, (id, e) => log.push(`${e ? 'enter' : 'exit'} ${id}`))
  t.same(inside, ['park'])
  g.delete('park')
  inside = g.update(inside, inPark.lat, inPark.lon, (id, e) => log.push(`${e ? 'enter' : 'exit'} ${id}`))
  t.same(log, ['enter park', 'exit park'])
  t.equal(inside, null)
})

t.test('the engine publishes GeofenceEntered/Exited on the delivery of the drone that crossed', async (t) => {
  const h = harness({ zones: [{ ...ZONE, noFly: false }] })
  const pickup = across(-200)
  const dropoff = across(400)
  h.send('d-1', T0, across(-150))
  h.send('idle-one', T0, across(-600))
  h.create('del-1', pickup, dropoff)
  let ts = T0
  for (const m of [-150, -100, -40, -5, 5, 40, 100, 200, 400]) h.send('d-1', (ts += S), across(m), 'cruise')
  // An idle drone without a delivery crossing counts, but has no delivery topic to be told on.
  h.send('idle-one', (ts += S), across(20), 'cruise')
  const geo = h.events.filter((e) => e.type === 'GeofenceEntered' || e.type === 'GeofenceExited')
  t.match(geo, [{ type: 'GeofenceEntered', deliveryId: 'del-1', droneId: 'd-1', zoneId: 'stadium', ts: T0 + 5 * S }])
  t.equal(geo.length, 1)
  t.same(h.engine.drone('d-1')?.zones, ['stadium'])
  for (const m of [100, 0, -29]) h.send('d-1', (ts += S), across(m), 'cruise')
  t.equal(h.events.filter((e) => e.type === 'GeofenceExited').length, 0, 'inside the band: not yet out')
  h.send('d-1', (ts += S), across(-40), 'cruise')
  t.match(h.events.at(-1), { type: 'GeofenceExited', deliveryId: 'del-1', zoneId: 'stadium' })
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToPickup', 'geofence events change no status')
  t.match(h.engine.stats(), { geofenceEntered: 2, geofenceExited: 1, zones: 1 })
})

t.test('zones arrive and leave as requests', async (t) => {
  const h = harness()
  h.engine.handleRequest({ type: 'AddZone', ...ZONE }, T0)
  t.same(h.engine.zones(), [ZONE])
  t.equal(h.engine.noFlyZoneAt(across(10).lat, across(10).lon)?.id, 'stadium')
  h.engine.handleRequest({ type: 'AddZone', ...ZONE, name: 'Renamed' }, T0)
  t.same(
    h.engine.zones().map((z) => z.name),
    ['Renamed'],
    'the same id replaces',
  )
  h.engine.handleRequest({ type: 'RemoveZone', id: 'stadium' }, T0)
  t.same(h.engine.zones(), [])
  t.equal(h.engine.noFlyZoneAt(across(10).lat, across(10).lon), undefined)
})

t.test('polygonProblems names the field, the value and what is wrong', async (t) => {
  const ok = square(DEPOT, 100)
  t.same(polygonProblems(ok), [])
  t.same(polygonProblems([...ok, ok[0]]), [], 'closing the ring is optional')
  t.match(polygonProblems('square'), [{ field: '/polygon', message: /list of \{lat, lon\}/ }])
  t.match(polygonProblems([ok[0], { lat: 95, lon: 0 }, ok[2]]), [{ field: '/polygon/1/lat', value: 95, message: /latitude/ }])
  t.match(polygonProblems([ok[0], { lat: 1, lon: 'x' }, ok[2]]), [{ field: '/polygon/1/lon', value: 'x' }])
  t.match(polygonProblems([ok[0], ok[1], ok[0]]), [{ field: '/polygon', message: /at least 3 distinct points, got 2/ }])
  t.match(polygonProblems([DEPOT, offset(DEPOT, 100, 0), offset(DEPOT, 200, 0)]), [{ message: /no area/ }])
  const bowtie = [ok[0]!, ok[2]!, ok[1]!, ok[3]!]
  t.match(polygonProblems(bowtie), [{ field: '/polygon/0', message: /crosses edge .* must not intersect itself/ }])
  t.match(polygonProblems(square(DEPOT, 150_000)), [{ message: /at most 100 km across/ }])
  // Issue 11: a zone across ±180° is an ordinary zone (it was refused); a ring around a pole is not one.
  t.same(
    polygonProblems([
      { lat: 0, lon: 179.9 },
      { lat: 0.1, lon: -179.9 },
      { lat: 0.2, lon: 179.9 },
    ]),
    [],
  )
  t.match(polygonProblems([0, 90, 180, -90].map((lon) => ({ lat: 89.9, lon }))), [{ message: /pole/ }])
})
