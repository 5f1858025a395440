import t from 'tap'
import { DeliveryBook } from '../gateway/DeliveryBook.js'
import type { DeliveryEvent } from '../protocol/events.js'
import type { TrackingMessage, TrackMessage } from '../protocol/tracking.js'

const at = 1_763_700_000_000
const accepted = { id: 'del-1', pickup: { lat: 1, lon: 2 }, dropoff: { lat: 3, lon: 4 }, weightKg: 1, deadline: null }
const created = (deliveryId: string): DeliveryEvent => ({
  type: 'DeliveryCreated',
  deliveryId,
  ts: at,
  pickup: accepted.pickup,
  dropoff: accepted.dropoff,
  weightKg: 1,
  deadline: null,
})
const eta = { at: at + 600_000, p10: at + 500_000, p90: at + 700_000 }
const tracking: TrackingMessage = {
  type: 'tracking',
  deliveryId: 'del-1',
  droneId: 'd-1',
  ts: at,
  position: { lat: 1.5, lon: 2.5, alt: 60 },
  speed: 15,
  heading: 10,
  battery: 0.7,
  droneState: 'cruise',
  status: 'HeadedToDropoff',
  eta,
}

function book(now = at): { b: DeliveryBook; seen: Array<Exclude<TrackMessage, { type: 'snapshot' }>> } {
  const b = new DeliveryBook({ now: () => now })
  b.accept(accepted)
  const seen: Array<Exclude<TrackMessage, { type: 'snapshot' }>> = []
  b.subscribe('del-1', (m) => seen.push(m))
  return { b, seen }
}

t.test('an accepted delivery is Created at once; the engine event does not reset it', async (t) => {
  const { b } = book()
  t.match(b.get('del-1'), { status: 'Created', createdAt: at, history: [] })
  b.apply({ type: 'DroneAssigned', deliveryId: 'del-1', ts: at, droneId: 'd-1', eta })
  b.accept(accepted) // the PUBACK can arrive after the engine's first events
  t.equal(b.get('del-1')?.status, 'HeadedToPickup')
})

t.test('events drive status; each change is announced with its event', async (t) => {
  const { b, seen } = book()
  const events: DeliveryEvent[] = [
    created('del-1'),
    { type: 'DroneAssigned', deliveryId: 'del-1', ts: at, droneId: 'd-1', eta },
    { type: 'GeofenceEntered', deliveryId: 'del-1', ts: at, droneId: 'd-1', zoneId: 'z' },
    { type: 'DroneLost', deliveryId: 'del-1', ts: at, droneId: 'd-1' },
    { type: 'DeliveryReassigned', deliveryId: 'del-1', ts: at, fromDroneId: 'd-1', toDroneId: 'd-2' },
    { type: 'PackagePickedUp', deliveryId: 'del-1', ts: at, droneId: 'd-2' },
    { type: 'DeliveryCompleted', deliveryId: 'del-1', ts: at, droneId: 'd-2' },
  ]
  for (const e of events) b.apply(e)
  t.same(
    seen.map((m) => m.type === 'status' && [m.event.type, m.status]),
    [
      ['DroneAssigned', 'HeadedToPickup'],
      ['DroneLost', 'Created'], // the engine's fold: a lost drone's unpicked delivery waits for another (issue 10 names the old answer as the bug)
      ['DeliveryReassigned', 'HeadedToPickup'],
      ['PackagePickedUp', 'HeadedToDropoff'],
      ['DeliveryCompleted', 'Completed'],
    ],
  )
  t.match(b.get('del-1'), { status: 'Completed', droneId: 'd-2', history: events })
})

t.test('a terminal delivery stays terminal and ignores tracking', async (t) => {
  const { b, seen } = book()
  b.apply({ type: 'DeliveryCancelled', deliveryId: 'del-1', ts: at, reason: 'x' })
  b.apply({ type: 'PackagePickedUp', deliveryId: 'del-1', ts: at, droneId: 'd-1' })
  b.applyTracking(tracking)
  t.equal(b.get('del-1')?.status, 'Cancelled')
  t.equal(b.get('del-1')?.history.length, 2, 'the late event is still in history')
  t.equal(seen.length, 1)
})

t.test('tracking updates position, ETA and drone but never status', async (t) => {
  const { b, seen } = book()
  b.applyTracking(tracking)
  t.match(b.get('del-1'), { status: 'Created', droneId: 'd-1', position: tracking.position, eta })
  t.same(seen, [tracking])
})

t.test('messages about unknown deliveries are counted and dropped', async (t) => {
  const { b } = book()
  b.apply({ type: 'PackagePickedUp', deliveryId: 'del-x', ts: at, droneId: 'd-1' })
  b.applyTracking({ ...tracking, deliveryId: 'del-x' })
  t.equal(b.get('del-x'), undefined)
  t.equal(b.ignored, 2)
  b.apply(created('del-y'))
  t.equal(b.get('del-y')?.status, 'Created', 'a delivery first seen through DeliveryCreated is recorded')
})

t.test('beyond its bound the book forgets terminal deliveries first', async (t) => {
  const b = new DeliveryBook({ now: () => at, maxDeliveries: 2 })
  b.accept({ ...accepted, id: 'a' })
  b.accept({ ...accepted, id: 'b' })
  // The engine completes only a picked-up delivery (protocol/deliveryStatus.ts), and the book folds as it does.
  b.apply({ type: 'DroneAssigned', deliveryId: 'b', ts: at, droneId: 'd', eta })
  b.apply({ type: 'PackagePickedUp', deliveryId: 'b', ts: at, droneId: 'd' })
  b.apply({ type: 'DeliveryCompleted', deliveryId: 'b', ts: at, droneId: 'd' })
  b.accept({ ...accepted, id: 'c' })
  t.same([b.get('a')?.id, b.get('b')?.id, b.get('c')?.id], ['a', undefined, 'c'])
})

t.test('unsubscribing stops the messages', async (t) => {
  const b = new DeliveryBook({ now: () => at })
  b.accept(accepted)
  let n = 0
  const stop = b.subscribe('del-1', () => n++)
  b.applyTracking(tracking)
  stop()
  b.applyTracking(tracking)
  t.equal(n, 1)
})

t.test('a delivery restored from the store skips the events it already holds when an engine publishes them again', async (t) => {
  const book = new DeliveryBook({ now: () => at })
  const assigned: DeliveryEvent = { type: 'DroneAssigned', deliveryId: 'del-1', ts: at + 1, droneId: 'd-1', eta }
  const picked: DeliveryEvent = { type: 'PackagePickedUp', deliveryId: 'del-1', ts: at + 2, droneId: 'd-1' }
  const done: DeliveryEvent = { type: 'DeliveryCompleted', deliveryId: 'del-1', ts: at + 3, droneId: 'd-1' }
  book.restore({
    ...accepted,
    status: 'HeadedToDropoff',
    droneId: 'd-1',
    position: null,
    eta,
    requestedAt: at,
    createdAt: at,
    updatedAt: at,
    history: [created('del-1'), assigned, picked],
  })
  // A restarted engine publishes its unpublished events again, with their seqs.
  book.apply({ ...assigned, seq: 2 })
  book.apply({ ...picked, seq: 3 })
  t.equal(book.get('del-1')?.history.length, 3, 'repeats are not folded again')
  book.apply({ ...done, seq: 4 })
  t.same(
    book.get('del-1')?.history.map((e) => e.type),
    ['DeliveryCreated', 'DroneAssigned', 'PackagePickedUp', 'DeliveryCompleted'],
  )
  t.equal(book.get('del-1')?.status, 'Completed')
  book.apply({ ...done, seq: 4 })
  t.equal(book.get('del-1')?.history.length, 4, 'nor is a repeat of a live one')
})
