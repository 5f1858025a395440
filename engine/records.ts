import type { DroneCommand } from '../protocol/commands.js'
import type { Eta } from '../protocol/eta.js'
import type { DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import type { TelemetrySample } from '../protocol/telemetry.js'
import type { DroneRecord } from './FleetLearning.js'
import type { Route } from './RoutePlanner.js'

/** What the engine knows of one drone: its last accepted sample, its jobs, and what the supervisor and geofences track. */
export type TrackedDrone = Omit<TelemetrySample, 'droneId'> & {
  id: string
  /** The delivery it is flying. */
  deliveryId: string | null
  /** A delivery promised to it once the current one is released ("soonest" dispatch), not yet commanded. */
  nextId: string | null
  /** Reporting interval estimated from its samples (event time), ms; 0 until two samples arrived. */
  intervalMs: number
  /** Declared lost by the supervisor and not heard from since. */
  lost: boolean
  /** Zones it is inside (geofence state with hysteresis); null when none, which is almost always. */
  zones: string[] | null
  /** What the engine's learning keeps of it (FleetLearning's slot): null until its first sample is learned from. */
  learned: DroneRecord | null
}

/** The planned flight of a delivery: the routes still to fly, and where along them the drone is. */
export interface DeliveryPlan {
  /** Drone → pickup (empty once picked up), pickup → drop-off. */
  toPickup: Route | null
  toDropoff: Route
  /** Index of the next waypoint of the leg being flown (0 = the first turn, or the target). */
  next: number
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
  /** The drone it had before a loss or a hand-over: the next assignment is then a DeliveryReassigned. */
  previousDroneId: string | null
  /** Drones that refused it (their own reserve estimate): it is not offered to them again. */
  refusedBy: string[] | null
  /** Where the drone returns after the drop-off. */
  depot: LatLon | null
  /** Event time the drone began handling at its current target, or null. */
  dwellStart: number | null
  /** Latest smoothed ETA; null when not assigned or ended. */
  eta: Eta | null
  /** The ETA given when the drone was assigned, to measure the error against the actual release. */
  promised: Eta | null
  plan: DeliveryPlan | null
}

type AssignDelivery = Extract<DroneCommand, { type: 'AssignDelivery' }>

/**
 * What the engine keeps of an open delivery across a restart (the store's
 * engine blob, serialised by the adapter): its record, the mission its drone
 * was last sent (re-sent on recovery; the simulator ignores a repeat), and
 * whether it is only promised to its drone after the current one.
 */
export interface DeliveryState {
  v: 1
  record: DeliveryRecord
  mission: AssignDelivery | null
  promised: boolean
  /**
   * Its drone as last seen: a restarted engine keeps it until it reports, so
   * that a drone that never reports again is lost by the supervisor and its
   * delivery handed on, not left assigned forever.
   */
  drone?: LastSeenDrone | null
}

export type LastSeenDrone = Pick<
  TrackedDrone,
  'id' | 'ts' | 'lat' | 'lon' | 'alt' | 'speed' | 'heading' | 'battery' | 'state' | 'intervalMs'
>
