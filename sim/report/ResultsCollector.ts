import { AppliedSeqs } from '../../protocol/AppliedSeqs.js'
import { statusAfter } from '../../protocol/deliveryStatus.js'
import { isTerminal, type DeliveryEvent } from '../../protocol/events.js'
import type { Eta } from '../../protocol/eta.js'
import type { TrackingMessage } from '../../protocol/tracking.js'
import { haversineM } from '../../protocol/geo.js'
import type { DemandArrival } from '../demand.js'
import type { DeliveryResult } from './DeliveryResult.js'
import { ETA_HORIZONS_S } from './etaAccuracy.js'
import { BASELINES, type Baseline, type NaiveEtas } from '../../protocol/NaiveEtas.js'
import { summarize, type FleetTotals } from './summarize.js'
import type { Summary } from './summaryFigures.js'

export { ETA_HORIZONS_S }

/** A delivery's predictions, kept every TRACE_EVERY_MS: the engine's ETA and window, and the baselines' (NaN where there were none). */
interface Trace {
  ts: number[]
  at: number[]
  p10: number[]
  p90: number[]
  naive: Record<Baseline, { at: number[]; p10: number[]; p90: number[] }>
  /** Where the drone stands at its target: when it began hovering there, for the baselines' handling left. */
  status: string
  dwellStart: number | null
}

/** Horizontal distance at which a drone is at its target (the engine's default arrivalRadiusM). */
const AT_TARGET_M = 30

/** ETA predictions are kept at most this often per delivery, ms: enough to read them off at each horizon. */
const TRACE_EVERY_MS = 5_000

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
  /** Events published again by a recovering engine carry a seq already applied: skipped. */
  private readonly applied = new AppliedSeqs(Number.MAX_SAFE_INTEGER)
  private readonly traces = new Map<string, Trace>()

  /** `naive`: the baselines to measure the engine against, computed from the same tracking messages (none without). */
  constructor(private readonly naive: NaiveEtas | null = null) {}
  /** ETA error by whole minutes before arrival (index), for the report: count, sum of |error| and of signed error, s. */
  readonly etaByMinute: Array<{ n: number; absS: number; signedS: number }> = []

  requested(id: string, a: DemandArrival): void {
    const r: DeliveryResult = {
      request: this.ordered.length + 1,
      status: 'Created',
      droneId: null,
      pickup: a.pickup,
      dropoff: a.dropoff,
      weightKg: a.weightKg,
      requestedAt: a.at,
      deadline: a.deadline,
      assignedAt: null,
      pickedUpAt: null,
      completedAt: null,
      etaAtAssignment: null,
      predictedEta: Object.fromEntries(ETA_HORIZONS_S.map((h) => [String(h), null])),
      predictedWindow: Object.fromEntries(ETA_HORIZONS_S.map((h) => [String(h), null])),
      baselineEta: {
        straightLine: Object.fromEntries(ETA_HORIZONS_S.map((h) => [String(h), null])),
        stillAirRoute: Object.fromEntries(ETA_HORIZONS_S.map((h) => [String(h), null])),
      },
      onTime: false,
      distanceM: 0,
      energyWh: 0,
      refusals: 0,
      reason: null,
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
    if (!this.applied.fresh(e.deliveryId, e.seq)) return
    this.fold(r, e)
  }

  /**
   * A delivery's history as the store keeps it (the gateway's
   * `GET /v1/deliveries/{id}`), for events the broker never brought (the
   * seqs skip some): unless it is shorter than what was applied, the result
   * is folded again from it, in order.
   */
  catchUp(id: string, history: readonly DeliveryEvent[]): void {
    const r = this.byId.get(id)
    if (!r || history.length < this.applied.lastOf(id)) return
    this.applied.fresh(id, history.length)
    Object.assign(r, {
      status: 'Created',
      droneId: null,
      assignedAt: null,
      pickedUpAt: null,
      completedAt: null,
      onTime: false,
      reason: null,
    })
    r.etaAtAssignment = null
    for (const e of history) if (e.deliveryId === id) this.fold(r, e)
  }

  /** Ids of our deliveries not yet seen to end. */
  open(): string[] {
    return [...this.byId].filter(([, r]) => !isTerminal(r.status)).map(([id]) => id)
  }

  private fold(r: DeliveryResult, e: DeliveryEvent): void {
    // Once terminal, a delivery stays so (the engine refuses every later change): late events change nothing.
    if (isTerminal(r.status)) return
    // The engine's own fold, so results name the status the engine gave.
    r.status = statusAfter(r.status, e.type)
    switch (e.type) {
      case 'DroneAssigned':
        r.droneId = e.droneId
        r.assignedAt ??= e.ts
        r.etaAtAssignment ??= e.eta.at
        this.trace(e.deliveryId, e.ts, e.eta, true, null)
        return
      case 'PackagePickedUp':
        r.pickedUpAt = e.ts
        return
      case 'DeliveryCompleted':
        r.completedAt = e.ts
        r.onTime = e.ts <= r.deadline
        this.settleEta(e.deliveryId, r, e.ts)
        return
      case 'DeliveryCancelled':
      case 'DeliveryFailed':
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
      default:
        e satisfies never
    }
  }

  /** A tracking update: keeps the ETA prediction (and the baselines' from the same message) for the horizon figures. */
  tracking(m: TrackingMessage): void {
    const r = this.byId.get(m.deliveryId)
    if (m.eta && r?.completedAt === null) this.trace(m.deliveryId, m.ts, m.eta, false, { m, r })
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

  private trace(id: string, ts: number, eta: Eta, force: boolean, from: { m: TrackingMessage; r: DeliveryResult } | null): void {
    let tr = this.traces.get(id)
    if (!tr) {
      const naive = () => ({ at: [] as number[], p10: [] as number[], p90: [] as number[] })
      this.traces.set(
        id,
        (tr = { ts: [], at: [], p10: [], p90: [], naive: { straightLine: naive(), stillAirRoute: naive() }, status: '', dwellStart: null }),
      )
    }
    let dwellS = 0
    if (from) {
      // Handling so far at the target, for the baselines: from the first message hovering there, in this status.
      const { m, r } = from
      if (m.status !== tr.status) [tr.status, tr.dwellStart] = [m.status, null]
      const target = m.status === 'HeadedToPickup' ? r.pickup : r.dropoff
      if (m.droneState === 'hover' && haversineM(m.position.lat, m.position.lon, target.lat, target.lon) <= AT_TARGET_M)
        tr.dwellStart ??= m.ts
      if (tr.dwellStart !== null) dwellS = (m.ts - tr.dwellStart) / 1000
    }
    const last = tr.ts.at(-1)
    if (!force && last !== undefined && ts - last < TRACE_EVERY_MS) return
    tr.ts.push(ts)
    tr.at.push(eta.at)
    tr.p10.push(eta.p10)
    tr.p90.push(eta.p90)
    for (const b of BASELINES) {
      const n = tr.naive[b]
      const x =
        from && this.naive && (from.m.status === 'HeadedToPickup' || from.m.status === 'HeadedToDropoff')
          ? this.naive.eta(b, {
              ts,
              position: from.m.position,
              droneState: from.m.droneState,
              picking: from.m.status === 'HeadedToPickup',
              pickup: from.r.pickup,
              dropoff: from.r.dropoff,
              dwellS,
            })
          : null
      n.at.push(x?.at ?? NaN)
      n.p10.push(x?.p10 ?? NaN)
      n.p90.push(x?.p90 ?? NaN)
    }
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
      let best = -1
      for (let k = 0; k < tr.ts.length && (tr.ts[k] as number) <= arrived - h * 1000; k++) best = k
      r.predictedEta[String(h)] = best < 0 ? null : (tr.at[best] as number)
      r.predictedWindow[String(h)] = best < 0 ? null : { p10: tr.p10[best] as number, p90: tr.p90[best] as number }
      for (const b of BASELINES) {
        const n = tr.naive[b]
        let k = best
        while (k >= 0 && Number.isNaN(n.at[k])) k--
        r.baselineEta[b][String(h)] = k < 0 ? null : { at: n.at[k] as number, p10: n.p10[k] as number, p90: n.p90[k] as number }
      }
    }
  }
}
