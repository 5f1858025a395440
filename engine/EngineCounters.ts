import { DELIVERY_STATUSES, type DeliveryStatus } from '../protocol/events.js'
import type { TelemetryRejectReason } from '../protocol/telemetry.js'
import type { EngineStats, TelemetryRejectCounts } from '../protocol/views.js'
import { EtaAccuracy } from './EtaAccuracy.js'

/** What stats() reads of the engine's state at the time, rather than counts. */
export interface EngineNow {
  watermark: number
  dronesLostNow: number
  zones: number
}

/**
 * The engine's counters (EngineStats), in one place: created once by the
 * Engine and handed to whoever counts (the Engine for telemetry, losses and
 * geofences; Deliveries for assignments, statuses and ETA accuracy).
 */
export class EngineCounters {
  telemetryReceived = 0
  readonly telemetryRejected: TelemetryRejectCounts = { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 }
  telemetryStale = 0
  telemetryDuplicate = 0
  telemetryOutOfOrder = 0
  telemetryUnknownDrone = 0
  /** Messages on `requests` that were not a well-formed request (dropped). */
  requestsRejected = 0
  assignments = 0
  reassignments = 0
  /** Deliveries in each status now: every transition moves one (moved()). */
  readonly deliveriesByStatus = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>
  /** The adapter's latest processing lag, ms (Engine.recordLag). */
  lagMs = 0
  dronesLost = 0
  dronesReconciled = 0
  geofenceEntered = 0
  geofenceExited = 0
  readonly etaAccuracy = new EtaAccuracy()

  /** One sample rejected for `reason` (`future` appears in the counts with the first). */
  rejected(reason: TelemetryRejectReason): void {
    const r = this.telemetryRejected
    r[reason] = (r[reason] ?? 0) + 1
  }

  /** One delivery went from `from` to `to`. */
  moved(from: DeliveryStatus, to: DeliveryStatus): void {
    this.deliveriesByStatus[from]--
    this.deliveriesByStatus[to]++
  }

  /** A copy of the counts as EngineStats, with what `now` says of the engine's state. */
  stats(now: EngineNow): EngineStats {
    return {
      telemetryReceived: this.telemetryReceived,
      telemetryRejected: { ...this.telemetryRejected },
      telemetryStale: this.telemetryStale,
      telemetryDuplicate: this.telemetryDuplicate,
      telemetryOutOfOrder: this.telemetryOutOfOrder,
      telemetryUnknownDrone: this.telemetryUnknownDrone,
      requestsRejected: this.requestsRejected,
      assignments: this.assignments,
      reassignments: this.reassignments,
      deliveriesByStatus: { ...this.deliveriesByStatus },
      watermark: now.watermark,
      lagMs: this.lagMs,
      dronesLost: this.dronesLost,
      dronesReconciled: this.dronesReconciled,
      geofenceEntered: this.geofenceEntered,
      geofenceExited: this.geofenceExited,
      dronesLostNow: now.dronesLostNow,
      zones: now.zones,
      etaError: this.etaAccuracy.stats(),
    }
  }
}
