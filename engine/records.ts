import type { Eta } from '../protocol/eta.js'
import type { DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import type { TelemetrySample } from '../protocol/telemetry.js'

/** What the engine knows of one drone: its last accepted sample and its job. */
export type TrackedDrone = Omit<TelemetrySample, 'droneId'> & {
  id: string
  deliveryId: string | null
}

/** What the engine knows of one delivery. */
export interface DeliveryRecord {
  id: string
  status: DeliveryStatus
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  deadline: number | null
  createdAt: number
  droneId: string | null
  /** Where the drone returns after the drop-off. */
  depot: LatLon | null
  /** Event time the drone began handling at its current target, or null. */
  dwellStart: number | null
  eta: Eta | null
}
