import type { DeliveryStatus } from './events.js'
import type { DroneState, TelemetryRejectReason } from './telemetry.js'

/** One drone as `GET /v1/drones` shows it. */
export interface DroneView {
  id: string
  lat: number
  lon: number
  alt: number
  speed: number
  heading: number
  battery: number
  state: DroneState
  /** Last telemetry sequence number accepted. */
  seq: number
  /** Event time of the last accepted sample, ms since the epoch. */
  lastSeen: number
  /** The delivery it is flying, if any. */
  deliveryId: string | null
  /** A delivery promised to it after the current one. */
  nextDeliveryId?: string | null
  /** Silent too long (or reported failed) and not heard from since. */
  lost?: boolean
  /** Ids of the zones it is in. */
  zones?: string[]
}

/** A drone found by a `near` query, with its distance from the point. */
export type DroneNear = DroneView & { distanceM: number }

/** ETA error of completed deliveries: the ETA given at assignment against the actual release (late is positive). */
/** Upper bounds of the ETA absolute-error buckets, s: a Prometheus-style histogram (the engine's and /metrics'). */
export const ETA_ERROR_BUCKETS_S = [5, 15, 30, 60, 120, 300, 600] as const

export interface EtaErrorStats {
  count: number
  sumS: number
  sumAbsS: number
  /** Releases that fell inside the promised P10–P90 window. */
  withinWindow: number
  /** Cumulative counts of |error| <= le seconds. */
  buckets: Array<{ le: number; count: number }>
}

/**
 * Rejected samples by reason. `future` is there once one was counted: optional
 * only so stubs and snapshots written before it still type-check and compare.
 */
/** The reasons every stats object lists; the rarer ones (future, size, limit) appear once they happened. */
export type CommonRejectReason = Exclude<TelemetryRejectReason, 'future' | 'size' | 'limit'>
export type TelemetryRejectCounts = Record<CommonRejectReason, number> & Partial<Record<TelemetryRejectReason, number>>

/** Counters the engine keeps; the gateway exports them as Prometheus metrics. */
export interface EngineStats {
  telemetryReceived: number
  telemetryRejected: TelemetryRejectCounts
  /** Samples dropped because their seq was not newer than the last one. */
  telemetryStale: number
  assignments: number
  deliveriesByStatus: Record<DeliveryStatus, number>
  /** Latest event time the engine has processed, ms since the epoch (0 before any). */
  watermark: number
  /**
   * How long a message waits before the engine processes it, wall-clock ms
   * (0 before it was measured): the MQTT adapter's own probe, sent through
   * the broker every second, from publish to processing (engine/mqtt/LagProbe.ts).
   * Wall time only: never a sample's event time, which may be simulated or
   * off. Optional only so stubs written before it still type-check;
   * Engine.stats() always sets it.
   */
  lagMs?: number
  // The fields below are optional for the same reason as lagMs.
  /** Samples dropped because their seq equalled the last accepted one. */
  telemetryDuplicate?: number
  /** Samples dropped because their seq was older than the last accepted one. */
  telemetryOutOfOrder?: number
  /** Samples from drones the engine does not know, ignored because autoRegister is off. */
  telemetryUnknownDrone?: number
  requestsRejected?: number
  /** Drones declared lost (silent 3× their reporting interval, or reporting failed), ever. */
  dronesLost?: number
  /** Lost drones that reported again and were reconciled, ever. */
  dronesReconciled?: number
  /** Drones lost now. */
  dronesLostNow?: number
  /** Deliveries handed to another drone (loss, reschedule), ever. */
  reassignments?: number
  geofenceEntered?: number
  geofenceExited?: number
  zones?: number
  etaError?: EtaErrorStats
}
