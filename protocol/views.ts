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
}

/** Counters the engine keeps; the gateway exports them as Prometheus metrics. */
export interface EngineStats {
  telemetryReceived: number
  telemetryRejected: Record<TelemetryRejectReason, number>
  /** Samples dropped because their seq was not newer than the last one. */
  telemetryStale: number
  assignments: number
  deliveriesByStatus: Record<DeliveryStatus, number>
  /** Latest event time the engine has processed, ms since the epoch (0 before any). */
  watermark: number
}
