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
  /**
   * Wall-clock ms between the latest processed sample's event time and the
   * moment the adapter processed it (0 before any). Measured by the adapter
   * with its injected clock; under a simulation that is not at real time it
   * also carries the offset between simulated and wall time. Optional only
   * so stubs written before it still type-check; Engine.stats() always sets it.
   */
  lagMs?: number
}
