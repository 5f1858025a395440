import t from 'tap'
import { DeliveryBook } from '../gateway/DeliveryBook.js'
import { Trail } from '../gateway/Trail.js'
import type { TrackingMessage } from '../protocol/tracking.js'

t.test('a trail keeps every point until it fills, then thins by half, keeping the first and the newest', async (t) => {
  const trail = new Trail(8)
  for (let i = 0; i < 8; i++) trail.push(i, -i, 1000 + i)
  t.same(
    trail.points().map((p) => p.lat),
    [0, 1, 2, 3, 4, 5, 6, 7],
  )
  trail.push(8, -8, 1008)
  t.same(
    trail.points().map((p) => p.lat),
    [0, 2, 4, 6, 7, 8],
    'full: every other point went, the first and the newest stayed',
  )
  for (let i = 9; i < 1000; i++) trail.push(i, -i, 1000 + i)
  const pts = trail.points()
  t.ok(pts.length <= 8, `bounded (${pts.length} points)`)
  t.same(pts[0], { lat: 0, lon: -0, ts: 1000 }, 'the start of the flight is still there')
  t.same(pts.at(-1), { lat: 999, lon: -999, ts: 1999 }, 'and where it is now')
  t.ok(
    pts.every((p, i) => i === 0 || p.lat > (pts[i - 1]?.lat ?? 0)),
    'in order',
  )
})

t.test('a drone reporting the same place again re-stamps its last point', async (t) => {
  const trail = new Trail()
  trail.push(1, 2, 10)
  trail.push(1, 2, 20)
  trail.push(1, 2, 15) // late: the newest time stays
  t.same(trail.points(), [{ lat: 1, lon: 2, ts: 20 }])
})

t.test('shrink keeps the shape in fewer points', async (t) => {
  const trail = new Trail(256)
  for (let i = 0; i < 200; i++) trail.push(i, i, i)
  trail.shrink(30)
  const pts = trail.points()
  t.ok(pts.length <= 30 && pts.length >= 15, `${pts.length} points`)
  t.equal(pts[0]?.lat, 0)
  t.equal(pts.at(-1)?.lat, 199)
  t.throws(() => new Trail(2), RangeError)
})

t.test("the book keeps each delivery's trail from its tracking messages, coarser once it has ended", async (t) => {
  const book = new DeliveryBook({ now: () => 0, trailPoints: 16, endedTrailPoints: 4 })
  book.accept({ id: 'del-1', pickup: { lat: 0, lon: 0 }, dropoff: { lat: 1, lon: 1 }, weightKg: 1, deadline: null })
  const fix = (i: number): TrackingMessage => ({
    type: 'tracking',
    deliveryId: 'del-1',
    droneId: 'd-1',
    ts: i,
    position: { lat: i / 100, lon: i / 100, alt: 50 },
    speed: 10,
    heading: 0,
    battery: 1,
    droneState: 'cruise',
    status: 'HeadedToDropoff',
    eta: null,
  })
  for (let i = 1; i <= 10; i++) book.applyTracking(fix(i))
  t.equal(book.trail('del-1').length, 10)
  t.same(book.trail('del-unknown'), [])
  book.apply({ type: 'DroneAssigned', deliveryId: 'del-1', ts: 0, droneId: 'd-1', eta: { at: 20, p10: 15, p90: 25 } })
  book.apply({ type: 'PackagePickedUp', deliveryId: 'del-1', ts: 5, droneId: 'd-1' })
  t.equal(book.trail('del-1').length, 10, 'kept whole while it flies')
  book.apply({ type: 'DeliveryCompleted', deliveryId: 'del-1', ts: 11, droneId: 'd-1' })
  t.equal(book.get('del-1')?.status, 'Completed')
  const ended = book.trail('del-1')
  t.ok(ended.length <= 4, `${ended.length} points once ended`)
  t.equal(ended.at(-1)?.ts, 10, 'ending where the drone was last seen')
  book.applyTracking(fix(11))
  t.equal(book.trail('del-1').at(-1)?.ts, 10, 'an ended delivery is not extended')
})
