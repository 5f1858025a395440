import { applyEventFields } from '../protocol/applyEventFields.js'
import { nextStatus } from '../protocol/deliveryStatus.js'
import { isTerminal, type DeliveryEvent } from '../protocol/events.js'
import type { DeliveryOrder, StoredDelivery } from './Store.js'

/** The read model of a delivery just accepted. */
export function acceptedDelivery(o: DeliveryOrder, region: string, now: number): StoredDelivery {
  return {
    id: o.id,
    region,
    status: 'Created',
    pickup: o.pickup,
    dropoff: o.dropoff,
    weightKg: o.weightKg,
    deadline: o.deadline,
    droneId: null,
    position: null,
    eta: null,
    requestedAt: null,
    createdAt: now,
    updatedAt: now,
    seq: 0,
  }
}

/** The read model of a delivery first heard of by its DeliveryCreated (requested around the store). */
export function createdDelivery(e: Extract<DeliveryEvent, { type: 'DeliveryCreated' }>, region: string, now: number): StoredDelivery {
  return acceptedDelivery(
    { id: e.deliveryId, pickup: e.pickup, dropoff: e.dropoff, weightKg: e.weightKg, deadline: e.deadline },
    region,
    now,
  )
}

/**
 * The read model after one more event (a new object; `d` is not changed):
 * the next sequence number, the status through the state machine, and the
 * fields the event carries. Once terminal a delivery stays as it is.
 */
export function foldDelivery(d: StoredDelivery, e: DeliveryEvent, now: number): StoredDelivery {
  const next: StoredDelivery = { ...d, seq: d.seq + 1, updatedAt: now }
  if (isTerminal(d.status)) return next
  next.status = nextStatus(d.status, e.type) ?? d.status
  applyEventFields(next, e)
  return next
}
