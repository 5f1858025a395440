import type { DeliveryEvent } from './events.js'
import type { DeliverySnapshot } from './tracking.js'

/** What of a delivery's read model its events set, besides its status. */
export type EventFields = Pick<DeliverySnapshot, 'droneId' | 'eta' | 'dropoff' | 'deadline' | 'requestedAt'>

/**
 * Sets on `d` the fields `e` carries: the one fold of a delivery's events
 * into a read model, the store's (store/foldDelivery.ts) and the gateway's
 * book alike; the status is statusAfter's. Returns false for an event that
 * is no news to a client watching the delivery (the request's own
 * DeliveryCreated, a geofence crossing).
 */
export function applyEventFields(d: EventFields, e: DeliveryEvent): boolean {
  switch (e.type) {
    case 'DeliveryCreated':
      // Event time of the request, as the engine stamped it.
      d.requestedAt = e.ts
      return false
    case 'DroneAssigned':
      d.droneId = e.droneId
      d.eta = e.eta
      return true
    case 'PackagePickedUp':
      d.droneId = e.droneId
      return true
    case 'DeliveryRescheduled':
      d.dropoff = e.dropoff
      d.deadline = e.deadline
      return true
    case 'DroneLost':
      d.droneId = null
      d.eta = null
      return true
    case 'DeliveryReassigned':
      d.droneId = e.toDroneId
      return true
    case 'DeliveryCompleted':
    case 'DeliveryCancelled':
    case 'DeliveryFailed':
      return true
    case 'GeofenceEntered':
    case 'GeofenceExited':
      return false
    default:
      return e satisfies never
  }
}
