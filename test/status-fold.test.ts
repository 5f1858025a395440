import t, { type Test } from 'tap'
import { DeliveryBook } from '../gateway/DeliveryBook.js'
import { foldStatus } from '../protocol/deliveryStatus.js'
import { DELIVERY_STATUSES, type DeliveryEvent, type DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import { ResultsCollector } from '../sim/report/ResultsCollector.js'
import { DEPOT, Flight, harness, offset, S, T0, type Harness } from './engine-harness.js'

/**
 * One status fold (protocol/deliveryStatus.ts) for every part: the same event
 * streams, replayed through the pure fold, the gateway's DeliveryBook and the
 * simulator's ResultsCollector, give the status the engine's own Deliveries
 * state had when it published each event.
 */

const PICKUP = offset(DEPOT, 1000, 0)
const DROPOFF = offset(PICKUP, 1000, 0)
/** Short silences, as in the supervisor tests: a drone is lost after 3 s. */
const TIGHT = { supervisor: { silenceFactor: 3, minSilenceMs: 0 } }

interface Seen {
  e: DeliveryEvent
  /** The engine's status of the delivery when it published `e`; absent for events the engine never published. */
  engine?: DeliveryStatus
}

/** A harness whose every event is seen with the engine's status of its delivery at that moment. */
function engineRun(opts: Parameters<typeof harness>[0] = {}): { h: Harness; seen: Seen[] } {
  const seen: Seen[] = []
  const h: Harness = harness(opts, (e) => seen.push({ e, engine: h.engine.delivery(e.deliveryId)?.status }))
  return { h, seen }
}

/**
 * Replays one delivery's events through each consumer and checks, after every
 * event, that the fold, the book, the results and the engine say the same;
 * returns the fold's statuses, one per event.
 */
function agree(t: Test, seen: readonly Seen[], id: string): DeliveryStatus[] {
  const mine = seen.filter((s) => s.e.deliveryId === id)
  const created = mine[0]?.e
  if (created?.type !== 'DeliveryCreated') throw new Error(`${id}: the stream must start with DeliveryCreated`)
  const book = new DeliveryBook({ now: () => T0 })
  book.accept({ id, pickup: created.pickup, dropoff: created.dropoff, weightKg: created.weightKg, deadline: created.deadline })
  const results = new ResultsCollector()
  results.requested(id, {
    at: created.ts,
    pickup: created.pickup,
    dropoff: created.dropoff,
    weightKg: created.weightKg,
    deadline: created.ts + 3600 * S,
  })
  const folded: DeliveryStatus[] = []
  mine.forEach(({ e, engine }, k) => {
    book.apply(e)
    results.apply(e)
    const fold = foldStatus(mine.slice(0, k + 1).map((s) => s.e))
    folded.push(fold)
    const said = { book: book.get(id)?.status, results: results.get(id)?.status, ...(engine ? { engine } : {}) }
    const want = { book: fold, results: fold, ...(engine ? { engine: fold } : {}) }
    t.same(said, want, `${id}, event ${k + 1} (${e.type}): ${fold}`)
  })
  return folded
}

/** All of a run's deliveries through one book: its counts by status are the engine's deliveriesByStatus. */
function sameCounts(t: Test, h: Harness): void {
  const book = new DeliveryBook({ now: () => T0 })
  for (const e of h.events) book.apply(e)
  const folded = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>
  for (const id of new Set(h.events.map((e) => e.deliveryId))) folded[foldStatus(h.events.filter((e) => e.deliveryId === id))]++
  t.same(h.engine.stats().deliveriesByStatus, folded, 'the engine counts by status what the fold gives')
  t.same(book.countByStatus(), folded, 'and so does the book')
}

/** Flies `f` to `at` and hovers there past the handling time (pickup or release). */
function flyAndHandle(f: Flight, at: LatLon): void {
  f.takeoff()
  f.cruise(at)
  f.land()
  f.hover(31)
}

const types = (seen: readonly Seen[], id: string): string[] => seen.filter((s) => s.e.deliveryId === id).map((s) => s.e.type)

t.test('happy path, through a geofence, then late requests and late events after the end', async (t) => {
  const mid = offset(PICKUP, 500, 0)
  const zone = {
    id: 'park',
    polygon: [offset(mid, -100, -100), offset(mid, -100, 100), offset(mid, 100, 100), offset(mid, 100, -100)],
    noFly: false,
  }
  const { h, seen } = engineRun({ zones: [zone] })
  h.send('d-1', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  flyAndHandle(f, PICKUP)
  flyAndHandle(f, DROPOFF)
  t.same(types(seen, 'del-1'), [
    'DeliveryCreated',
    'DroneAssigned',
    'PackagePickedUp',
    'GeofenceEntered',
    'GeofenceExited',
    'DeliveryCompleted',
  ])

  // Late requests: the engine refuses them and says nothing.
  const n = seen.length
  h.cancel('del-1')
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff: PICKUP }, T0)
  t.equal(seen.length, n, 'nothing published after the end')
  // Late events (a repeat, a stray publisher): the engine's status is what the readers must keep.
  const at = f.ts + S
  const engine = h.engine.delivery('del-1')?.status
  for (const e of [
    { type: 'DeliveryCompleted', deliveryId: 'del-1', ts: at, droneId: 'd-1' },
    { type: 'DeliveryCancelled', deliveryId: 'del-1', ts: at, reason: 'late' },
    { type: 'DroneLost', deliveryId: 'del-1', ts: at, droneId: 'd-1' },
    { type: 'DeliveryFailed', deliveryId: 'del-1', ts: at, reason: 'late' },
    { type: 'PackagePickedUp', deliveryId: 'del-1', ts: at, droneId: 'd-1' },
    { type: 'GeofenceEntered', deliveryId: 'del-1', ts: at, droneId: 'd-1', zoneId: 'park' },
  ] satisfies DeliveryEvent[])
    seen.push({ e, engine })

  t.same(agree(t, seen, 'del-1'), [
    'Created',
    'HeadedToPickup',
    'HeadedToDropoff',
    'HeadedToDropoff',
    'HeadedToDropoff',
    'Completed',
    'Completed',
    'Completed',
    'Completed',
    'Completed',
    'Completed',
    'Completed',
  ])
  sameCounts(t, h)
})

t.test('DroneLost before pickup with no drone free: back to Created (no drone) until a drone frees up', async (t) => {
  const { h, seen } = engineRun(TIGHT)
  h.send('a', T0, offset(PICKUP, 0, 200))
  h.create('del-1', PICKUP, DROPOFF)
  h.engine.advance(T0 + 5 * S)
  t.same(types(seen, 'del-1'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost'])
  t.same(agree(t, seen, 'del-1'), ['Created', 'HeadedToPickup', 'Created'])
  // What GET /v1/deliveries/{id} shows: the engine's status, and no drone.
  const book = new DeliveryBook({ now: () => T0 })
  for (const { e } of seen) book.apply(e)
  t.match(book.get('del-1'), { status: 'Created', droneId: null, eta: null })
  sameCounts(t, h)

  // Another drone appears: it takes the delivery over, and flies it.
  const c = offset(PICKUP, 0, 400)
  h.send('c', T0 + 6 * S, c, 'idle', { battery: 0.9 })
  const f = new Flight(h, 'c', c, T0 + 6 * S)
  flyAndHandle(f, PICKUP)
  flyAndHandle(f, DROPOFF)
  t.same(types(seen, 'del-1').slice(3), ['DeliveryReassigned', 'PackagePickedUp', 'DeliveryCompleted'])
  t.same(agree(t, seen, 'del-1'), ['Created', 'HeadedToPickup', 'Created', 'HeadedToPickup', 'HeadedToDropoff', 'Completed'])
  sameCounts(t, h)
})

t.test('reassignment at once when the drone is lost, then a cancel before pickup', async (t) => {
  const { h, seen } = engineRun(TIGHT)
  h.send('a', T0, offset(PICKUP, 0, 200))
  h.send('b', T0, offset(PICKUP, 0, 900))
  h.create('del-1', PICKUP, DROPOFF)
  for (let s = 1; s <= 5; s++) h.send('a', T0 + s * S, offset(PICKUP, 0, 200), 'cruise')
  for (let s = 1; s <= 10; s++) h.send('b', T0 + s * S, offset(PICKUP, 0, 900))
  h.engine.advance(T0 + 10 * S)
  h.cancel('del-1')
  t.same(types(seen, 'del-1'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost', 'DeliveryReassigned', 'DeliveryCancelled'])
  t.same(agree(t, seen, 'del-1'), ['Created', 'HeadedToPickup', 'Created', 'HeadedToPickup', 'Cancelled'])
  sameCounts(t, h)
})

t.test('lost after pickup: the delivery keeps HeadedToDropoff until it fails', async (t) => {
  const { h, seen } = engineRun(TIGHT)
  h.send('a', T0, DEPOT, 'idle', { battery: 0.9 })
  h.send('b', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(h, 'a', DEPOT, T0)
  flyAndHandle(f, PICKUP)
  f.takeoff()
  h.engine.advance(f.ts + 10 * S)
  t.same(types(seen, 'del-1'), ['DeliveryCreated', 'DroneAssigned', 'PackagePickedUp', 'DroneLost', 'DeliveryFailed'])
  t.same(agree(t, seen, 'del-1'), ['Created', 'HeadedToPickup', 'HeadedToDropoff', 'HeadedToDropoff', 'Failed'])
  sameCounts(t, h)
})

t.test('cancel after pickup', async (t) => {
  const { h, seen } = engineRun()
  h.send('d-1', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  flyAndHandle(f, PICKUP)
  f.takeoff()
  h.cancel('del-1')
  t.same(types(seen, 'del-1'), ['DeliveryCreated', 'DroneAssigned', 'PackagePickedUp', 'DeliveryCancelled'])
  t.same(agree(t, seen, 'del-1'), ['Created', 'HeadedToPickup', 'HeadedToDropoff', 'Cancelled'])
  sameCounts(t, h)
})

t.test('reschedule before and after pickup, kept by the drone, then completed', async (t) => {
  const { h, seen } = engineRun()
  h.send('d-1', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, DROPOFF)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff: offset(PICKUP, 1200, 0) }, T0)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  flyAndHandle(f, PICKUP)
  f.takeoff()
  const dropoff = offset(PICKUP, 0, 1200)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff }, T0)
  f.cruise(dropoff)
  f.land()
  f.hover(31)
  t.same(types(seen, 'del-1'), [
    'DeliveryCreated',
    'DroneAssigned',
    'DeliveryRescheduled',
    'PackagePickedUp',
    'DeliveryRescheduled',
    'DeliveryCompleted',
  ])
  t.same(agree(t, seen, 'del-1'), ['Created', 'HeadedToPickup', 'HeadedToPickup', 'HeadedToDropoff', 'HeadedToDropoff', 'Completed'])
  sameCounts(t, h)
})

t.test('reschedule before pickup handed to another drone', async (t) => {
  const { h, seen } = engineRun()
  h.send('weak', T0, offset(PICKUP, 0, 100), 'idle', { battery: 0.5 })
  h.send('strong', T0, offset(PICKUP, 0, 2000), 'idle', { battery: 1 })
  h.create('del-1', PICKUP, DROPOFF)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff: offset(PICKUP, 6000, 0) }, T0)
  t.same(types(seen, 'del-1'), ['DeliveryCreated', 'DroneAssigned', 'DeliveryRescheduled', 'DeliveryReassigned'])
  t.same(agree(t, seen, 'del-1'), ['Created', 'HeadedToPickup', 'HeadedToPickup', 'HeadedToPickup'])
  sameCounts(t, h)
})

t.test('streams the engine does not publish today fold the same in every reader', async (t) => {
  const base = { deliveryId: 'x', ts: T0 }
  const eta = { at: T0 + 600 * S, p10: T0 + 500 * S, p90: T0 + 700 * S }
  const created: DeliveryEvent = { ...base, type: 'DeliveryCreated', pickup: PICKUP, dropoff: DROPOFF, weightKg: 1, deadline: null }
  const streams: Array<[string, DeliveryEvent[], DeliveryStatus[]]> = [
    [
      'a reassignment after pickup keeps the package headed to the drop-off',
      [
        created,
        { ...base, type: 'DroneAssigned', droneId: 'd-1', eta },
        { ...base, type: 'PackagePickedUp', droneId: 'd-1' },
        { ...base, type: 'DeliveryReassigned', fromDroneId: 'd-1', toDroneId: 'd-2' },
        { ...base, type: 'DeliveryCompleted', droneId: 'd-2' },
      ],
      ['Created', 'HeadedToPickup', 'HeadedToDropoff', 'HeadedToDropoff', 'Completed'],
    ],
    [
      'repeated (QoS 1) events change nothing',
      [
        created,
        { ...base, type: 'DroneAssigned', droneId: 'd-1', eta },
        { ...base, type: 'DroneAssigned', droneId: 'd-1', eta },
        { ...base, type: 'PackagePickedUp', droneId: 'd-1' },
        { ...base, type: 'PackagePickedUp', droneId: 'd-1' },
        { ...base, type: 'DeliveryCompleted', droneId: 'd-1' },
        { ...base, type: 'DeliveryCompleted', droneId: 'd-1' },
      ],
      ['Created', 'HeadedToPickup', 'HeadedToPickup', 'HeadedToDropoff', 'HeadedToDropoff', 'Completed', 'Completed'],
    ],
    [
      'a failure is final',
      [
        created,
        { ...base, type: 'DeliveryFailed', reason: 'no drone' },
        { ...base, type: 'DroneAssigned', droneId: 'd-1', eta },
        { ...base, type: 'DeliveryCompleted', droneId: 'd-1' },
      ],
      ['Created', 'Failed', 'Failed', 'Failed'],
    ],
  ]
  for (const [name, events, expected] of streams) {
    t.test(name, async (t) => {
      t.same(
        agree(
          t,
          events.map((e) => ({ e })),
          'x',
        ),
        expected,
      )
    })
  }
})
