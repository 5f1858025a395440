import type { Eta } from './eta.js'
import type { LatLon } from './geo.js'

export const DELIVERY_STATUSES = ['Created', 'HeadedToPickup', 'HeadedToDropoff', 'Completed', 'Cancelled', 'Failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

export function isTerminal(s: DeliveryStatus): boolean {
  return s === 'Completed' || s === 'Cancelled' || s === 'Failed'
}

interface Base {
  deliveryId: string
  /** Event time, ms since the epoch (the engine's clock, driven by telemetry). */
  ts: number
  /**
   * The delivery's sequence number in the store's log, from 1, when the
   * engine has a store: an event may be published again after a crash, and
   * consumers skip one whose seq they have applied (protocol/AppliedSeqs.ts).
   */
  seq?: number
}

/** Delivery events, on `deliveries/{id}/events` (DESIGN.md §4). */
export type DeliveryEvent =
  | (Base & { type: 'DeliveryCreated'; pickup: LatLon; dropoff: LatLon; weightKg: number; deadline: number | null })
  | (Base & { type: 'DroneAssigned'; droneId: string; eta: Eta })
  | (Base & { type: 'PackagePickedUp'; droneId: string })
  | (Base & { type: 'DeliveryCompleted'; droneId: string })
  /** After pickup the package is flown back to `packageReturnsTo` (the depot nearest the drone). */
  | (Base & { type: 'DeliveryCancelled'; reason: string; packageReturnsTo?: LatLon })
  | (Base & { type: 'DeliveryRescheduled'; dropoff: LatLon; deadline: number | null })
  /** Its drone went silent or reported failure; `reason` says which. What follows says what became of the delivery. */
  | (Base & { type: 'DroneLost'; droneId: string; reason?: string })
  | (Base & { type: 'DeliveryReassigned'; fromDroneId: string; toDroneId: string })
  | (Base & { type: 'DeliveryFailed'; reason: string })
  | (Base & { type: 'GeofenceEntered'; droneId: string; zoneId: string })
  | (Base & { type: 'GeofenceExited'; droneId: string; zoneId: string })

export type DeliveryEventType = DeliveryEvent['type']

export const DELIVERY_EVENT_TYPES: readonly DeliveryEventType[] = [
  'DeliveryCreated',
  'DroneAssigned',
  'PackagePickedUp',
  'DeliveryCompleted',
  'DeliveryCancelled',
  'DeliveryRescheduled',
  'DroneLost',
  'DeliveryReassigned',
  'DeliveryFailed',
  'GeofenceEntered',
  'GeofenceExited',
]
