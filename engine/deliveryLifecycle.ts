import type { DeliveryEventType, DeliveryStatus } from '../protocol/events.js'

/**
 * The delivery state machine (DESIGN.md §4): which event moves which status
 * where. Events not listed for a status are not allowed in it; geofence
 * events never change the status and are allowed anywhere.
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

/** The status after `event`, or undefined when the event is not allowed in `status`. */
export function nextStatus(status: DeliveryStatus, event: DeliveryEventType): DeliveryStatus | undefined {
  if (event === 'GeofenceEntered' || event === 'GeofenceExited') return status
  if (event === 'DeliveryCreated') return undefined
  return TRANSITIONS[status][event]
}
