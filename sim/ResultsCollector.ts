import type { DeliveryEvent, DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { DemandArrival } from './demand.js'
import { summarize, type FleetTotals } from './summarize.js'
import type { Summary } from './summaryFigures.js'

/** Times before arrival at which ETA error is measured, s. */
export const ETA_HORIZONS_S = [60, 300, 600] as const

/** ETA predictions are kept at most this often per delivery, ms: enough to read them off at each horizon. */
const TRACE_EVERY_MS = 5_000

export interface DeliveryResult {
  /** Order in which the simulator requested it, from 1: the key that is the same in every run. */
  request: number
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
  /** The engine's ETA this many seconds before the actual arrival (the last prediction at or before then). */
  predictedEta: Record<string, number | null>
  onTime: boolean
  /** Flown for it by the drones that carried it, including the flight home; m and Wh. */
  distanceM: number
  energyWh: number
  /** Drones that refused it for want of battery or a flyable leg. */
  refusals: number
  reason: string | null
}

/**
 * Folds the engine's delivery events and tracking ETAs into per-delivery
 * results and the run's summary. Pure: the run's adapter feeds it what
 * arrives on the broker. An event can arrive before the gateway's answer
 * that names its delivery, so events for unknown ids wait until the request
 * is registered (or the run ends).
 */
export class ResultsCollector {
  private readonly byId = new Map<string, DeliveryResult>()
  private readonly ordered: DeliveryResult[] = []
  private readonly early = new Map<string, DeliveryEvent[]>()
  private readonly traces = new Map<string, { ts: number[]; at: number[] }>()
  /** ETA error by whole minutes before arrival (index), for the report: count, sum of |error| and of signed error, s. */
  readonly etaByMinute: Array<{ n: number; absS: number; signedS: number }> = []

  requested(id: string, a: DemandArrival): void {
    const r: DeliveryResult = {
      request: this.ordered.length + 1, status: 'Created', droneId: null,
      pickup: a.pickup, dropoff: a.dropoff, weightKg: a.weightKg, requestedAt: a.at, deadline: a.deadline,
      assignedAt: null, pickedUpAt: null, completedAt: null, etaAtAssignment: null,
      predictedEta: Object.fromEntries(ETA_HORIZONS_S.map((h) => [String(h), null])), onTime: false,
      distanceM: 0, energyWh: 0, refusals: 0, reason: null,
    }
    this.byId.set(id, r)
    this.ordered.push(r)
    const waiting = this.early.get(id)
    if (waiting) {
      this.early.delete(id)
      for (const e of waiting) this.apply(e)
    }
  }

  /** The result for a delivery id, if it is one of ours. */
  get(id: string): DeliveryResult | undefined {
    return this.byId.get(id)
  }

  apply(e: DeliveryEvent): void {
    const r = this.byId.get(e.deliveryId)
    if (!r) {
      // Perhaps ours, before the gateway's answer; perhaps another client's on a shared broker.
      const list = this.early.get(e.deliveryId) ?? []
      if (list.length < 32) list.push(e)
      this.early.set(e.deliveryId, list)
      return
    }
    switch (e.type) {
      case 'DroneAssigned':
        r.status = 'HeadedToPickup'
        r.droneId = e.droneId
        r.assignedAt ??= e.ts
        r.etaAtAssignment ??= e.eta.at
        this.trace(e.deliveryId, e.ts, e.eta.at, true)
        return
      case 'PackagePickedUp':
        r.status = 'HeadedToDropoff'
        r.pickedUpAt = e.ts
        return
      case 'DeliveryCompleted':
        r.status = 'Completed'
        r.completedAt = e.ts
        r.onTime = e.ts <= r.deadline
        this.settleEta(e.deliveryId, r, e.ts)
        return
      case 'DeliveryCancelled':
        r.status = 'Cancelled'
        r.reason = e.reason
        this.traces.delete(e.deliveryId)
        return
      case 'DeliveryFailed':
        r.status = 'Failed'
        r.reason = e.reason
        this.traces.delete(e.deliveryId)
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

  /** A tracking update: keeps the ETA prediction for the horizon figures. */
  tracking(m: TrackingMessage): void {
    if (m.eta && this.byId.get(m.deliveryId)?.completedAt === null) this.trace(m.deliveryId, m.ts, m.eta.at, false)
  }

  /** Adds a drone's flight for a delivery (it may take several, after a reassignment). */
  flown(id: string, distanceM: number, energyWh: number): void {
    const r = this.byId.get(id)
    if (!r) return
    r.distanceM = Math.round(r.distanceM + distanceM)
    r.energyWh = Math.round((r.energyWh + energyWh) * 100) / 100
  }

  refused(id: string): void {
    const r = this.byId.get(id)
    if (r) r.refusals++
  }

  deliveries(): readonly DeliveryResult[] {
    return this.ordered
  }

  summary(fleet?: FleetTotals): Summary {
    return summarize(this.ordered, fleet)
  }

  private trace(id: string, ts: number, at: number, force: boolean): void {
    let tr = this.traces.get(id)
    if (!tr) this.traces.set(id, (tr = { ts: [], at: [] }))
    const last = tr.ts.at(-1)
    if (!force && last !== undefined && ts - last < TRACE_EVERY_MS) return
    tr.ts.push(ts)
    tr.at.push(at)
  }

  /** Reads the prediction off at each horizon before the actual arrival. */
  private settleEta(id: string, r: DeliveryResult, arrived: number): void {
    const tr = this.traces.get(id)
    this.traces.delete(id)
    if (!tr) return
    for (let k = 0; k < tr.ts.length; k++) {
      const minute = Math.floor((arrived - (tr.ts[k] as number)) / 60_000)
      const err = ((tr.at[k] as number) - arrived) / 1000
      while (this.etaByMinute.length <= minute) this.etaByMinute.push({ n: 0, absS: 0, signedS: 0 })
      const b = this.etaByMinute[minute] as { n: number; absS: number; signedS: number }
      b.n++
      b.absS += Math.abs(err)
      b.signedS += err
    }
    for (const h of ETA_HORIZONS_S) {
      let best: number | null = null
      for (let k = 0; k < tr.ts.length && (tr.ts[k] as number) <= arrived - h * 1000; k++) best = tr.at[k] as number
      r.predictedEta[String(h)] = best
    }
  }
}
