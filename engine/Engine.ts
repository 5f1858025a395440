import type { DroneCommand } from '../protocol/commands.js'
import type { Eta } from '../protocol/eta.js'
import type { DeliveryEvent, DeliveryStatus } from '../protocol/events.js'
import { DELIVERY_STATUSES, isTerminal } from '../protocol/events.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import type { DeliveryRequest } from '../protocol/requests.js'
import type { TelemetryRejectReason, TelemetrySample } from '../protocol/telemetry.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { DroneView, EngineStats } from '../protocol/views.js'
import { nextStatus } from './deliveryLifecycle.js'
import { etaFrom, remainingSeconds } from './estimateEta.js'
import { FleetIndex } from './FleetIndex.js'
import type { DeliveryRecord, TrackedDrone } from './records.js'
import { batteryCovers, planTrip } from './tripPlan.js'

/** Where the engine's decisions go; the MQTT adapter publishes them. */
export interface EngineSink {
  command(cmd: DroneCommand): void
  event(e: DeliveryEvent): void
  tracking(m: TrackingMessage): void
}

export interface EngineOptions {
  profile: DroneProfile
  /** Depots drones return to; when empty, a drone returns to where it was assigned. */
  depots: LatLon[]
  sink: EngineSink
  /** Horizontal distance at which a drone counts as at a pickup or drop-off, m. */
  arrivalRadiusM?: number
  /** Register drones on their first sample (default) or ignore unknown ones. */
  autoRegister?: boolean
}

/** How many nearest idle drones are checked for feasibility per request. */
const CANDIDATES = 16

/**
 * The engine's pure core: fleet and delivery state, driven by telemetry,
 * requests and the clock, with every decision sent to the sink. No I/O, no
 * timers: time is the event time of what it is given.
 */
export class Engine {
  private readonly profile: DroneProfile
  private readonly depots: LatLon[]
  private readonly sink: EngineSink
  private readonly arrivalM: number
  private readonly autoRegister: boolean
  private readonly drones_ = new Map<string, TrackedDrone>()
  private readonly deliveries = new Map<string, DeliveryRecord>()
  private readonly index = new FleetIndex<TrackedDrone>()
  /** Deliveries waiting for a drone, oldest first. */
  private readonly queue: string[] = []
  private watermark = 0
  private commandSeq = 0
  private readonly counters: EngineStats

  constructor(o: EngineOptions) {
    this.profile = o.profile
    this.depots = o.depots
    this.sink = o.sink
    this.arrivalM = o.arrivalRadiusM ?? 30
    this.autoRegister = o.autoRegister ?? true
    this.counters = {
      telemetryReceived: 0,
      telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
      telemetryStale: 0,
      assignments: 0,
      deliveriesByStatus: Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>,
      watermark: 0,
      lagMs: 0,
    }
  }

  /** Latest event time processed, ms since the epoch; 0 before anything arrived. */
  get now(): number {
    return this.watermark
  }

  rejectTelemetry(reason: TelemetryRejectReason): void {
    this.counters.telemetryRejected[reason]++
  }

  /** Applies one validated sample; returns false when it was stale or from an unknown drone. */
  handleTelemetry(s: TelemetrySample): boolean {
    this.counters.telemetryReceived++
    let d = this.drones_.get(s.droneId)
    // Whether this sample may let a waiting delivery go: a new drone, or one
    // that became free, or whose battery rose while it waited.
    const mayServe = !d || !this.isAvailable(d) || s.battery > d.battery
    if (d && s.seq <= d.seq) {
      this.counters.telemetryStale++
      return false
    }
    if (!d) {
      if (!this.autoRegister) return false
      const { droneId: id, ...fields } = s
      d = { ...fields, id, deliveryId: null }
      this.drones_.set(d.id, d)
    }
    d.seq = s.seq
    d.ts = s.ts
    d.lat = s.lat
    d.lon = s.lon
    d.alt = s.alt
    d.speed = s.speed
    d.heading = s.heading
    d.battery = s.battery
    d.state = s.state
    this.index.set(d.id, d.lat, d.lon, d)
    this.advanceClock(s.ts)
    if (d.deliveryId) this.follow(d, this.deliveries.get(d.deliveryId))
    if (mayServe && this.isAvailable(d) && this.queue.length > 0) this.dispatchQueue()
    return true
  }

  /** A delivery request from the gateway. `receivedAt` is used only before any telemetry set the clock. */
  handleRequest(r: DeliveryRequest, receivedAt: number): void {
    const now = this.watermark || receivedAt
    switch (r.type) {
      case 'CreateDelivery': {
        if (this.deliveries.has(r.id)) return // a redelivered QoS 1 message: already handled
        const rec: DeliveryRecord = {
          id: r.id, status: 'Created', pickup: r.pickup, dropoff: r.dropoff, weightKg: r.weightKg,
          deadline: r.deadline, createdAt: now, droneId: null, depot: null, dwellStart: null, eta: null,
        }
        this.deliveries.set(rec.id, rec)
        this.counters.deliveriesByStatus.Created++
        this.sink.event({ type: 'DeliveryCreated', deliveryId: rec.id, ts: now, pickup: rec.pickup, dropoff: rec.dropoff, weightKg: rec.weightKg, deadline: rec.deadline })
        if (!this.assign(rec, now)) this.queue.push(rec.id)
        return
      }
      case 'RescheduleDelivery':
        this.reschedule(r, now)
        return
      case 'CancelDelivery': {
        const rec = this.deliveries.get(r.id)
        if (!rec || isTerminal(rec.status)) return
        const drone = rec.droneId ? this.drones_.get(rec.droneId) : undefined
        if (!this.transition(rec, { type: 'DeliveryCancelled', deliveryId: rec.id, ts: now, reason: r.reason })) return
        if (drone) this.release(drone, now)
        return
      }
      default: {
        const never: never = r
        return never
      }
    }
  }

  /** The clock moved to `t` (event time): fail queued deliveries whose deadline passed. */
  advance(t: number): void {
    this.advanceClock(t)
    if (this.queue.length === 0) return
    this.dispatchQueue()
  }

  drones(): DroneView[] {
    return [...this.drones_.values()].map(toView)
  }

  drone(id: string): DroneView | undefined {
    const d = this.drones_.get(id)
    return d && toView(d)
  }

  delivery(id: string): Readonly<DeliveryRecord> | undefined {
    return this.deliveries.get(id)
  }

  /**
   * The adapter's measure of how far behind event time it processes: wall
   * time at processing minus the sample's event time. Kept here only so
   * stats() reports it; the core never reads a clock.
   */
  recordLag(ms: number): void {
    this.counters.lagMs = ms
  }

  stats(): EngineStats {
    const c = this.counters
    return {
      ...c,
      telemetryRejected: { ...c.telemetryRejected },
      deliveriesByStatus: { ...c.deliveriesByStatus },
      watermark: this.watermark,
    }
  }

  private advanceClock(t: number): void {
    if (t > this.watermark) this.watermark = t
  }

  private isAvailable(d: TrackedDrone): boolean {
    return d.state === 'idle' && d.deliveryId === null
  }

  private nearestDepot(p: LatLon): LatLon {
    let best: LatLon = p
    let bestM = Infinity
    for (const depot of this.depots) {
      const m = haversineM(p.lat, p.lon, depot.lat, depot.lon)
      if (m < bestM) [best, bestM] = [depot, m]
    }
    return best
  }

  private dispatchQueue(): void {
    const now = this.watermark
    let kept = 0
    for (const id of this.queue) {
      const rec = this.deliveries.get(id)
      if (!rec || rec.status !== 'Created') continue
      if (rec.deadline !== null && now > rec.deadline) {
        this.transition(rec, { type: 'DeliveryFailed', deliveryId: id, ts: now, reason: 'no drone could take it before its deadline' })
        continue
      }
      if (!this.assign(rec, now)) this.queue[kept++] = id
    }
    this.queue.length = kept
  }

  /** Assigns the nearest available drone whose battery covers the trip; false when none can. */
  private assign(rec: DeliveryRecord, now: number): boolean {
    if (rec.weightKg > this.profile.maxPayloadKg) {
      this.transition(rec, { type: 'DeliveryFailed', deliveryId: rec.id, ts: now, reason: `package of ${rec.weightKg} kg exceeds the drones' ${this.profile.maxPayloadKg} kg payload` })
      return true
    }
    const d = this.pick(rec)
    if (!d) return false
    this.commit(rec, d, now)
    this.transition(rec, { type: 'DroneAssigned', deliveryId: rec.id, ts: now, droneId: d.id, eta: rec.eta as Eta })
    return true
  }

  /** The nearest available drone whose battery covers the trip, or undefined. */
  private pick(rec: DeliveryRecord): TrackedDrone | undefined {
    const candidates = this.index.nearest(rec.pickup.lat, rec.pickup.lon, CANDIDATES, (d) => this.isAvailable(d))
    for (const { item: d } of candidates) {
      if (this.covers(d, rec, false)) return d
    }
    return undefined
  }

  /** Whether `d`'s battery covers `rec` from where it is (loaded: the package is aboard) to a depot. */
  private covers(d: TrackedDrone, rec: DeliveryRecord, loaded: boolean): boolean {
    const plan = planTrip(this.profile, d, loaded ? d : rec.pickup, rec.dropoff, this.depotFor(d, rec), rec.weightKg, this.arrivalM)
    return batteryCovers(this.profile, d.battery, plan)
  }

  /** Without known depots a drone comes back to where it was sent from. */
  private depotFor(d: TrackedDrone, rec: DeliveryRecord): LatLon {
    return this.depots.length > 0 ? this.nearestDepot(rec.dropoff) : rec.depot ?? { lat: d.lat, lon: d.lon }
  }

  /**
   * Gives `rec` to `d` and sends the drone its mission. Once the package is
   * aboard, the mission's pickup is where the drone is and `loaded` says so.
   */
  private commit(rec: DeliveryRecord, d: TrackedDrone, now: number): void {
    const loaded = rec.status === 'HeadedToDropoff'
    const depot = this.depotFor(d, rec)
    d.deliveryId = rec.id
    rec.droneId = d.id
    rec.depot = depot
    rec.dwellStart = null
    rec.eta = this.estimate(d, rec, now)
    this.counters.assignments++
    this.sink.command({
      type: 'AssignDelivery', commandId: `c-${++this.commandSeq}`, droneId: d.id, deliveryId: rec.id,
      pickup: loaded ? { lat: d.lat, lon: d.lon } : rec.pickup, dropoff: rec.dropoff, depot, payloadKg: rec.weightKg, issuedAt: now,
      ...(loaded ? { loaded: true } : {}),
    })
  }

  /**
   * A new drop-off and/or deadline. The flying drone is re-planned when its
   * battery covers the new plan; before pickup another drone may take over;
   * a plan no drone can fly fails the delivery with a reason (after pickup
   * the package then returns to the depot, as for a cancel).
   */
  private reschedule(r: Extract<DeliveryRequest, { type: 'RescheduleDelivery' }>, now: number): void {
    const rec = this.deliveries.get(r.id)
    if (!rec || isTerminal(rec.status)) return
    const dropoff = r.dropoff ?? rec.dropoff
    const deadline = r.deadline === undefined ? rec.deadline : r.deadline
    // A redelivered QoS 1 message changes nothing and says nothing.
    if (dropoff.lat === rec.dropoff.lat && dropoff.lon === rec.dropoff.lon && deadline === rec.deadline) return
    rec.dropoff = dropoff
    rec.deadline = deadline
    this.transition(rec, { type: 'DeliveryRescheduled', deliveryId: rec.id, ts: now, dropoff, deadline })
    if (rec.status === 'Created') {
      this.dispatchQueue()
      return
    }
    const d = rec.droneId ? this.drones_.get(rec.droneId) : undefined
    if (!d) return
    const loaded = rec.status === 'HeadedToDropoff'
    if (this.covers(d, rec, loaded)) {
      this.commit(rec, d, now)
      return
    }
    const other = loaded ? undefined : this.pick(rec)
    if (other) {
      this.release(d, now)
      this.commit(rec, other, now)
      this.transition(rec, { type: 'DeliveryReassigned', deliveryId: rec.id, ts: now, fromDroneId: d.id, toDroneId: other.id })
      return
    }
    this.transition(rec, { type: 'DeliveryFailed', deliveryId: rec.id, ts: now, reason: `no drone's battery covers the new drop-off (${dropoff.lat}, ${dropoff.lon})` })
    this.release(d, now)
  }

  /** Frees a drone from its delivery and sends it home. */
  private release(d: TrackedDrone, now: number): void {
    d.deliveryId = null
    this.sink.command({ type: 'ReturnToDepot', commandId: `c-${++this.commandSeq}`, droneId: d.id, depot: this.nearestDepot(d), issuedAt: now })
  }

  /** Derives pickup and completion from the drone's position, and publishes its tracking update. */
  private follow(d: TrackedDrone, rec: DeliveryRecord | undefined): void {
    if (!rec || isTerminal(rec.status)) {
      d.deliveryId = null
      return
    }
    const target = rec.status === 'HeadedToPickup' ? rec.pickup : rec.dropoff
    const near = haversineM(d.lat, d.lon, target.lat, target.lon) <= this.arrivalM
    if (near && d.state === 'hover') rec.dwellStart ??= d.ts
    const dwellS = rec.dwellStart === null ? 0 : (d.ts - rec.dwellStart) / 1000
    // Handled: hovered the full handling time, or hovered and has now moved on
    // (a drone that failed there has not handed anything over).
    const handled = rec.dwellStart !== null && d.state !== 'failed' && (dwellS >= this.profile.handlingS || d.state !== 'hover')
    if (handled) {
      rec.dwellStart = null
      if (rec.status === 'HeadedToPickup') {
        this.transition(rec, { type: 'PackagePickedUp', deliveryId: rec.id, ts: d.ts, droneId: d.id })
      } else {
        this.transition(rec, { type: 'DeliveryCompleted', deliveryId: rec.id, ts: d.ts, droneId: d.id })
        d.deliveryId = null
      }
    }
    if (isTerminal(rec.status)) rec.eta = null
    else {
      const raw = this.estimate(d, rec, d.ts)
      // Smooth the countdown so one noisy sample does not make the ETA jump.
      rec.eta = rec.eta && Math.abs(raw.at - rec.eta.at) < 120_000
        ? { at: Math.round((rec.eta.at + raw.at) / 2), p10: Math.round((rec.eta.p10 + raw.p10) / 2), p90: Math.round((rec.eta.p90 + raw.p90) / 2) }
        : raw
    }
    this.sink.tracking({
      type: 'tracking', deliveryId: rec.id, droneId: d.id, ts: d.ts, position: { lat: d.lat, lon: d.lon, alt: d.alt },
      speed: d.speed, heading: d.heading, battery: d.battery, droneState: d.state, status: rec.status,
      eta: rec.eta,
    })
  }

  private estimate(d: TrackedDrone, rec: DeliveryRecord, now: number): Eta {
    const loaded = rec.status === 'HeadedToDropoff'
    const dwellS = rec.dwellStart === null ? 0 : (now - rec.dwellStart) / 1000
    const s = remainingSeconds(this.profile, {
      lat: d.lat, lon: d.lon, alt: d.alt, state: d.state,
      target: loaded ? rec.dropoff : rec.pickup, then: loaded ? null : rec.dropoff, dwellS,
    }, this.arrivalM)
    return etaFrom(now, s)
  }

  /** Applies an event through the state machine and publishes it; false when not allowed. */
  private transition(rec: DeliveryRecord, e: DeliveryEvent): boolean {
    const next = nextStatus(rec.status, e.type)
    if (next === undefined) return false
    this.counters.deliveriesByStatus[rec.status]--
    this.counters.deliveriesByStatus[next]++
    rec.status = next
    this.sink.event(e)
    return true
  }
}

function toView(d: TrackedDrone): DroneView {
  return {
    id: d.id, lat: d.lat, lon: d.lon, alt: d.alt, speed: d.speed, heading: d.heading,
    battery: d.battery, state: d.state, seq: d.seq, lastSeen: d.ts, deliveryId: d.deliveryId,
  }
}
