import type { DeliveryEvent, DeliveryEventType, DeliveryStatus } from './events.js'

/**
 * The delivery state machine (DESIGN.md §4): which event moves which status
 * where. The engine decides, so this table is its rule; the gateway's read
 * model and the simulator's results fold the engine's events through it too,
 * so all three give a delivery the same status. Events not listed for a
 * status are not allowed in it; geofence events never change the status and
 * are allowed anywhere.
 */
const TRANSITIONS: Readonly<Record<DeliveryStatus, Partial<Record<DeliveryEventType, DeliveryStatus>>>> = {
  Created: {
    DroneAssigned: 'HeadedToPickup',
    // A delivery whose drone was lost waits as Created; the drone that takes it over is a reassignment.
    DeliveryReassigned: 'HeadedToPickup',
    DeliveryCancelled: 'Cancelled',
    DeliveryRescheduled: 'Created',
    DeliveryFailed: 'Failed',
  },
  HeadedToPickup: {
    PackagePickedUp: 'HeadedToDropoff',
    DeliveryReassigned: 'HeadedToPickup',
    // Not yet picked up: the delivery waits for another drone (DeliveryReassigned follows when one is free).
    DroneLost: 'Created',
    DeliveryCancelled: 'Cancelled',
    DeliveryRescheduled: 'HeadedToPickup',
    DeliveryFailed: 'Failed',
  },
  HeadedToDropoff: {
    DeliveryCompleted: 'Completed',
    // The package is aboard the lost drone: the engine then fails the delivery with the reason.
    DroneLost: 'HeadedToDropoff',
    DeliveryReassigned: 'HeadedToDropoff',
    DeliveryCancelled: 'Cancelled',
    DeliveryRescheduled: 'HeadedToDropoff',
    DeliveryFailed: 'Failed',
  },
  Completed: {},
  Cancelled: {},
  Failed: {},
}

/** The status after `event`, or undefined when the event is not allowed in `status` (the engine then refuses it). */
export function nextStatus(status: DeliveryStatus, event: DeliveryEventType): DeliveryStatus | undefined {
  if (event === 'GeofenceEntered' || event === 'GeofenceExited') return status
  if (event === 'DeliveryCreated') return undefined
  return TRANSITIONS[status][event]
}

/**
 * The status a reader of a delivery's events keeps after `event`: the next
 * status, or the same one when the event is not allowed there (a repeated
 * QoS 1 message, DeliveryCreated, an event after the end).
 */
export function statusAfter(status: DeliveryStatus, event: DeliveryEventType): DeliveryStatus {
  return nextStatus(status, event) ?? status
}

/** The status of a delivery after its events, in the order the engine published them. */
export function foldStatus(events: Iterable<Pick<DeliveryEvent, 'type'>>, from: DeliveryStatus = 'Created'): DeliveryStatus {
  let status = from
  for (const e of events) status = statusAfter(status, e.type)
  return status
}
