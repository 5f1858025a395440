import type { FleetIndex } from './FleetIndex.js'
import type { DeliveryRecord, TrackedDrone } from './records.js'

/** A drone found near a point, with its great-circle distance from it. */
export interface NearDrone {
  item: TrackedDrone
  distanceM: number
}

/**
 * What dispatch reads of the fleet, and nothing else: where the free drones
 * are, where the drones about to release a package will be, and what a drone
 * is flying. Queries only: the Dispatcher decides, Deliveries changes state.
 */
export interface FleetView {
  /** Up to k available drones (isAvailable) passing `accept`, nearest first, none farther than maxM. */
  nearestAvailable(lat: number, lon: number, k: number, accept: (d: TrackedDrone) => boolean, maxM?: number): NearDrone[]
  /** Up to k drones flying a package with nothing promised after it, passing `accept`, nearest by that package's drop-off first. */
  nearestFinishing(lat: number, lon: number, k: number, accept: (d: TrackedDrone) => boolean): NearDrone[]
  /** The delivery a drone is flying. */
  current(d: TrackedDrone): DeliveryRecord | undefined
}

/** Free to take a delivery now: idle, no delivery and none promised, not lost. */
export function isAvailable(d: TrackedDrone): boolean {
  return d.state === 'idle' && d.deliveryId === null && d.nextId === null && !d.lost
}

/**
 * The view over the engine's state: every drone in `fleet`, the finishing
 * drones at their drop-offs in `finishing`, the delivery records by id.
 */
export function fleetView(
  fleet: FleetIndex<TrackedDrone>,
  finishing: FleetIndex<TrackedDrone>,
  records: ReadonlyMap<string, DeliveryRecord>,
): FleetView {
  return {
    nearestAvailable: (lat, lon, k, accept, maxM) => fleet.nearest(lat, lon, k, (d) => isAvailable(d) && accept(d), maxM),
    nearestFinishing: (lat, lon, k, accept) => finishing.nearest(lat, lon, k, accept),
    current: (d) => (d.deliveryId ? records.get(d.deliveryId) : undefined),
  }
}
