import type { DeliveryEvent, DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import type { DemandArrival } from './demand.js'
import type { Summary } from './summaryFigures.js'

export interface DeliveryResult {
  /** Order in which the simulator requested it, from 1. */
  request: number
  id: string
  status: DeliveryStatus
  droneId: string | null
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  requestedAt: number
  deadline: number
  assignedAt: number | null
  pickedUpAt: number | null
  completedAt: number | null
  /** ETA the engine promised when it assigned the drone. */
  etaAtAssignment: number | null
  onTime: boolean
  reason: string | null
}

/**
 * Folds the engine's delivery events into per-delivery results and the run's
 * summary. Pure: the run's adapter feeds it what arrives on the broker.
 */
export class ResultsCollector {
  private readonly byId = new Map<string, DeliveryResult>()
  private readonly ordered: DeliveryResult[] = []

  requested(id: string, a: DemandArrival): void {
    const r: DeliveryResult = {
      request: this.ordered.length + 1, id, status: 'Created', droneId: null,
      pickup: a.pickup, dropoff: a.dropoff, weightKg: a.weightKg, requestedAt: a.at, deadline: a.deadline,
      assignedAt: null, pickedUpAt: null, completedAt: null, etaAtAssignment: null, onTime: false, reason: null,
    }
    this.byId.set(id, r)
    this.ordered.push(r)
  }

  apply(e: DeliveryEvent): void {
    const r = this.byId.get(e.deliveryId)
    if (!r) return // not one of ours (another client's delivery on a shared broker)
    switch (e.type) {
      case 'DroneAssigned':
        r.status = 'HeadedToPickup'
        r.droneId = e.droneId
        r.assignedAt ??= e.ts
        r.etaAtAssignment ??= e.eta.at
        return
      case 'PackagePickedUp':
        r.status = 'HeadedToDropoff'
        r.pickedUpAt = e.ts
        return
      case 'DeliveryCompleted':
        r.status = 'Completed'
        r.completedAt = e.ts
        r.onTime = e.ts <= r.deadline
        return
      case 'DeliveryCancelled':
        r.status = 'Cancelled'
        r.reason = e.reason
        return
      case 'DeliveryFailed':
        r.status = 'Failed'
        r.reason = e.reason
        return
      case 'DeliveryReassigned':
        r.droneId = e.toDroneId
        return
      case 'DeliveryCreated':
      case 'DeliveryRescheduled':
      case 'DroneLost':
      case 'GeofenceEntered':
      case 'GeofenceExited':
        return
      default: {
        const never: never = e
        return never
      }
    }
  }

  deliveries(): readonly DeliveryResult[] {
    return this.ordered
  }

  summary(): Summary {
    const all = this.ordered
    const done = all.filter((r) => r.completedAt !== null)
    const onTime = done.filter((r) => r.onTime).length
    const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0)
    const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d
    return {
      requested: all.length,
      completed: done.length,
      failed: all.filter((r) => r.status === 'Failed').length,
      completionRate: round(all.length ? done.length / all.length : 0),
      onTime,
      onTimeRate: round(all.length ? onTime / all.length : 0),
      meanDeliveryTimeS: round(mean(done.map((r) => ((r.completedAt as number) - r.requestedAt) / 1000)), 1),
      meanEtaErrorS: round(mean(done.filter((r) => r.etaAtAssignment !== null).map((r) => Math.abs((r.etaAtAssignment as number) - (r.completedAt as number)) / 1000)), 1),
    }
  }
}
