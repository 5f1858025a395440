import t from 'tap'
import { nextStatus } from '../protocol/deliveryStatus.js'
import { DELIVERY_EVENT_TYPES, DELIVERY_STATUSES, isTerminal, type DeliveryEventType, type DeliveryStatus } from '../protocol/events.js'

/**
 * The whole state machine, written out independently of the implementation:
 * every (status, event) pair not listed here must be refused, except the
 * geofence events, which never change a status.
 */
const ALLOWED: ReadonlyArray<[DeliveryStatus, DeliveryEventType, DeliveryStatus]> = [
  ['Created', 'DroneAssigned', 'HeadedToPickup'],
  ['Created', 'DeliveryReassigned', 'HeadedToPickup'],
  ['Created', 'DeliveryCancelled', 'Cancelled'],
  ['Created', 'DeliveryRescheduled', 'Created'],
  ['Created', 'DeliveryFailed', 'Failed'],

  ['HeadedToPickup', 'PackagePickedUp', 'HeadedToDropoff'],
  ['HeadedToPickup', 'DeliveryReassigned', 'HeadedToPickup'],
  ['HeadedToPickup', 'DroneLost', 'Created'],
  ['HeadedToPickup', 'DeliveryCancelled', 'Cancelled'],
  ['HeadedToPickup', 'DeliveryRescheduled', 'HeadedToPickup'],
  ['HeadedToPickup', 'DeliveryFailed', 'Failed'],

  ['HeadedToDropoff', 'DeliveryCompleted', 'Completed'],
  ['HeadedToDropoff', 'DroneLost', 'HeadedToDropoff'],
  ['HeadedToDropoff', 'DeliveryReassigned', 'HeadedToDropoff'],
  ['HeadedToDropoff', 'DeliveryCancelled', 'Cancelled'],
  ['HeadedToDropoff', 'DeliveryRescheduled', 'HeadedToDropoff'],
  ['HeadedToDropoff', 'DeliveryFailed', 'Failed'],
]

const GEOFENCE: readonly DeliveryEventType[] = ['GeofenceEntered', 'GeofenceExited']
const LIVE = DELIVERY_STATUSES.filter((s) => !isTerminal(s))
const TERMINAL = DELIVERY_STATUSES.filter((s) => isTerminal(s))

t.test('the terminal statuses are exactly Completed, Cancelled and Failed', async (t) => {
  t.same(TERMINAL, ['Completed', 'Cancelled', 'Failed'])
  t.same(LIVE, ['Created', 'HeadedToPickup', 'HeadedToDropoff'])
})

for (const [from, event, to] of ALLOWED) {
  t.test(`${from} --${event}--> ${to}`, async (t) => {
    t.equal(nextStatus(from, event), to)
  })
}

t.test('every (live status, status-changing event) pair not in the table is refused', async (t) => {
  const allowed = new Set(ALLOWED.map(([s, e]) => `${s}/${e}`))
  let refused = 0
  for (const s of LIVE) {
    for (const e of DELIVERY_EVENT_TYPES) {
      if (GEOFENCE.includes(e) || allowed.has(`${s}/${e}`)) continue
      t.equal(nextStatus(s, e), undefined, `${s} refuses ${e}`)
      refused++
    }
  }
  // 3 live statuses × 9 non-geofence events, minus the 16 allowed pairs.
  t.equal(refused, 3 * 9 - ALLOWED.length)
})

t.test('nothing moves a delivery out of a terminal status', async (t) => {
  for (const s of TERMINAL) {
    for (const e of DELIVERY_EVENT_TYPES) {
      if (GEOFENCE.includes(e)) continue
      t.equal(nextStatus(s, e), undefined, `${s} refuses ${e}`)
    }
  }
})

t.test('DeliveryCreated is never a transition: a delivery is created once', async (t) => {
  for (const s of DELIVERY_STATUSES) t.equal(nextStatus(s, 'DeliveryCreated'), undefined, s)
})

t.test('geofence events never change the status of a live delivery', async (t) => {
  for (const s of LIVE) {
    for (const e of GEOFENCE) t.equal(nextStatus(s, e), s, `${s} + ${e}`)
  }
})

t.test('a cancelled or failed delivery cannot complete, and a completed one cannot be cancelled', async (t) => {
  t.equal(nextStatus('Cancelled', 'DeliveryCompleted'), undefined)
  t.equal(nextStatus('Failed', 'DeliveryCompleted'), undefined)
  t.equal(nextStatus('Completed', 'DeliveryCancelled'), undefined)
  t.equal(nextStatus('Completed', 'DeliveryFailed'), undefined)
})

t.test('a package cannot be picked up before a drone is assigned, nor delivered before pickup', async (t) => {
  t.equal(nextStatus('Created', 'PackagePickedUp'), undefined)
  t.equal(nextStatus('Created', 'DeliveryCompleted'), undefined)
  t.equal(nextStatus('HeadedToPickup', 'DeliveryCompleted'), undefined)
  t.equal(nextStatus('HeadedToDropoff', 'PackagePickedUp'), undefined)
  t.equal(nextStatus('HeadedToPickup', 'DroneAssigned'), undefined)
})
