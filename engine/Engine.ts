import type { Zone } from '../protocol/geo.js'
import type { DeliveryRequest } from '../protocol/requests.js'
import type { TelemetryRejectReason, TelemetrySample } from '../protocol/telemetry.js'
import type { DroneNear, DroneView, EngineStats } from '../protocol/views.js'
import { Deliveries } from './Deliveries.js'
import { EngineCounters } from './EngineCounters.js'
import { resolveEngineOptions, type EngineTunables, type EngineWorld } from './engineOptions.js'
import type { EngineSink } from './EngineSink.js'
import { FleetIndex } from './FleetIndex.js'
import { isAvailable } from './FleetView.js'
import { Geofences } from './Geofences.js'
import { type LearnedState, readLearnedState } from './LearnedState.js'
import type { DeliveryRecord, DeliveryState, TrackedDrone } from './records.js'
import { RoutePlanner } from './RoutePlanner.js'
import { Supervisor } from './Supervisor.js'

/** The tunables and their defaults, and the world the engine is told about, are in engineOptions.ts. */
export interface EngineOptions extends EngineTunables, EngineWorld {
  sink: EngineSink
}

/**
 * The engine's pure core: fleet and delivery state, driven by telemetry,
 * requests and the clock, with every decision sent to the sink. No I/O, no
 * timers: time is the event time of what it is given. Deliveries (dispatch,
 * lifecycle, compensation) live in Deliveries; this class owns the fleet.
 */
export class Engine {
  private readonly autoRegister: boolean
  private readonly maxDrones: number
  private readonly drones_ = new Map<string, TrackedDrone>()
  private readonly index = new FleetIndex<TrackedDrone>()
  private readonly geofences: Geofences
  private readonly supervisor: Supervisor
  private readonly desk: Deliveries
  private watermark = 0
  /** Drones restored from snapshots, until the first advance() after the restore. */
  private readonly restoredDrones: TrackedDrone[] = []
  private readonly counters = new EngineCounters()

  constructor(options: EngineOptions) {
    const o = resolveEngineOptions(options)
    this.autoRegister = o.autoRegister
    this.maxDrones = o.maxDrones
    this.geofences = new Geofences({ exitBandM: o.geofenceExitBandM })
    for (const z of o.zones) this.geofences.set(z)
    this.supervisor = new Supervisor(o.supervisor)
    this.desk = new Deliveries({
      profile: o.profile,
      depots: o.depots,
      sink: o.sink,
      arrivalM: o.arrivalRadiusM,
      fleet: this.index,
      drones: this.drones_,
      geofences: this.geofences,
      routes: new RoutePlanner(this.geofences, { clearanceM: o.zoneClearanceM }),
      wind: o.wind,
      soonMs: o.soonMs,
      releaseOn: o.releaseOn,
      retainTerminalMs: o.retainTerminalMs,
      commandIdPrefix: o.commandIdPrefix,
      counters: this.counters,
    })
  }

  /** Latest event time processed, ms since the epoch; 0 before anything arrived. */
  get now(): number {
    return this.watermark
  }

  /** A message on `requests` that did not decode: counted, dropped. */
  rejectRequest(): void {
    this.counters.requestsRejected++
  }

  rejectTelemetry(reason: TelemetryRejectReason): void {
    this.counters.rejected(reason)
  }

  /** Applies one validated sample; returns false when it was stale or from an unknown drone. */
  handleTelemetry(s: TelemetrySample): boolean {
    const c = this.counters
    c.telemetryReceived++
    let d = this.drones_.get(s.droneId)
    if (d && s.seq <= d.seq) {
      c.telemetryStale++
      if (s.seq === d.seq) c.telemetryDuplicate++
      else c.telemetryOutOfOrder++
      return false
    }
    // Whether this sample may let a waiting delivery go at once: a new drone,
    // or one that became free. A battery that rose while it waited is left to
    // the retry on the next advance(): with a queue that no drone can serve
    // yet, retrying it on every charging drone's every sample took most of
    // the engine's time in a 10,000-drone fleet.
    const mayServe = !d || !isAvailable(d)
    if (!d) {
      if (!this.autoRegister) {
        c.telemetryUnknownDrone++
        return false
      }
      // One frame of made-up ids must not register a million drones (and have /v1/fleet serialise them).
      if (this.drones_.size >= this.maxDrones) {
        c.rejected('limit')
        return false
      }
      // Written out, not spread: a spread copy with added fields becomes a dictionary-mode object (664 B instead of 182 B).
      d = {
        id: s.droneId,
        seq: s.seq,
        ts: s.ts,
        lat: s.lat,
        lon: s.lon,
        alt: s.alt,
        speed: s.speed,
        heading: s.heading,
        battery: s.battery,
        state: s.state,
        deliveryId: null,
        nextId: null,
        intervalMs: 0,
        lost: false,
        zones: null,
        learned: null,
      }
      this.drones_.set(d.id, d)
      this.desk.adopt(d)
    } else {
      this.supervisor.observe(d, s.ts)
    }
    // Heard for the first time since this engine started (new, or restored and not heard yet): it is listening now.
    const first = d.seq === 0 || d.seq === s.seq
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
    if (s.ts > this.watermark) this.watermark = s.ts
    if (d.lost && s.state !== 'failed') {
      // A sample older than the limit is still silence: reconciling on it would have the next tick lose the drone again.
      if (this.supervisor.fresh(d, s.ts, this.watermark)) this.reconcile(d)
    } else if (!d.lost && s.state === 'failed') this.lose(d, s.ts, 'reported failure')
    if (s.refused !== undefined) this.desk.refused(d, s.refused, s.ts)
    if (this.geofences.size > 0 || d.zones !== null) this.checkZones(d)
    if (first) this.desk.heardAgain(d)
    this.desk.follow(d)
    if (mayServe && isAvailable(d)) this.desk.dispatchQueue(this.watermark)
    return true
  }

  /** A request from the gateway. `receivedAt` (event time) is used only before anything set the clock. */
  handleRequest(r: DeliveryRequest, receivedAt: number): void {
    const now = this.watermark || receivedAt
    switch (r.type) {
      case 'CreateDelivery':
        this.desk.create(r, now)
        return
      case 'CancelDelivery':
        this.desk.cancel(r.id, r.reason, now)
        return
      case 'RescheduleDelivery':
        this.desk.reschedule(r, now)
        return
      case 'AddZone': {
        const { type: _, ...zone } = r
        this.geofences.set(zone)
        return
      }
      case 'RemoveZone':
        this.geofences.delete(r.id)
        return
      default:
        r satisfies never
    }
  }

  /**
   * The clock moved to `t` (event time): drones silent for longer than
   * their limit are lost and their deliveries compensated; queued deliveries
   * are retried, and fail once their deadline can no longer be met.
   */
  advance(t: number): void {
    if (t > this.watermark) this.watermark = t
    // A restored drone's silence counts from the new engine's first clock, not from before the crash: the outage was ours, not its.
    for (const d of this.restoredDrones) if (d.seq === 0 && d.ts < t) d.ts = t
    this.restoredDrones.length = 0
    // Silence is judged at the clock given, not at the newest sample's time: one drone's clock ahead must not make every other drone look silent.
    for (const d of this.supervisor.silent(this.drones_, t)) {
      this.lose(d, t, `was silent for ${Math.round((t - d.ts) / 1000)} s (limit ${Math.round(this.supervisor.limitMs(d) / 1000)} s)`)
    }
    this.desk.dispatchQueue(this.watermark)
    this.desk.forgetEnded(this.watermark)
  }

  /** What a restarted engine needs to carry on with an open delivery (serialisable); undefined once it ended or when unknown. */
  snapshot(id: string): DeliveryState | undefined {
    return this.desk.snapshot(id)
  }

  /**
   * Takes back open deliveries from snapshots (recovery after a restart):
   * waiting ones queue again, drones are sent their missions again, and
   * drones not heard from yet take theirs back with their first sample.
   */
  restore(states: readonly DeliveryState[]): void {
    for (const { drone: l } of states) {
      if (!l || this.drones_.has(l.id) || this.drones_.size >= this.maxDrones) continue
      // As last seen, seq 0 (its next sample is always news): the supervisor loses it if it never reports again.
      const d: TrackedDrone = {
        id: l.id,
        seq: 0,
        ts: l.ts,
        lat: l.lat,
        lon: l.lon,
        alt: l.alt,
        speed: l.speed,
        heading: l.heading,
        battery: l.battery,
        state: l.state,
        deliveryId: null,
        nextId: null,
        intervalMs: l.intervalMs,
        lost: false,
        zones: null,
        learned: null,
      }
      this.drones_.set(d.id, d)
      this.restoredDrones.push(d)
      this.index.set(d.id, d.lat, d.lon, d)
    }
    this.desk.restore(states)
  }

  /**
   * What the engine has learned from telemetry (wind, drones' factors,
   * handling times, ETA errors), as JSON: the store keeps it per region so
   * that a restarted engine does not start from the forecast again.
   */
  learned(): LearnedState {
    return this.desk.learning.save()
  }

  /**
   * Takes back what an engine learned before (learned()), in place of what
   * this one knows; checked first (readLearnedState: DF_OPTION_INVALID naming
   * the field). Predictions are then the same as the saving engine's.
   */
  restoreLearned(state: unknown): void {
    this.desk.learning.load(readLearnedState(state))
  }

  /** Deliveries in memory: open ones and ended ones not yet dropped (retainTerminalMs). */
  get deliveriesHeld(): number {
    return this.desk.size
  }

  /**
   * The adapter's measure of how far behind its input it processes, wall ms
   * (its lag probe's round trip through the broker). Kept here only so
   * stats() reports it; the core never reads a clock.
   */
  recordLag(ms: number): void {
    this.counters.lagMs = ms
  }

  /** Whether the engine keeps this drone. */
  has(id: string): boolean {
    return this.drones_.has(id)
  }

  drones(): DroneView[] {
    return [...this.drones_.values()].map(toView)
  }

  drone(id: string): DroneView | undefined {
    const d = this.drones_.get(id)
    return d && toView(d)
  }

  /** Drones within radiusM of a point, nearest first, from the spatial index. */
  dronesNear(lat: number, lon: number, radiusM: number): DroneNear[] {
    return this.index.within(lat, lon, radiusM).map(({ item, distanceM }) => ({ ...toView(item), distanceM: Math.round(distanceM) }))
  }

  delivery(id: string): Readonly<DeliveryRecord> | undefined {
    return this.desk.get(id)
  }

  zones(): Zone[] {
    return this.geofences.list()
  }

  zone(id: string): Zone | undefined {
    return this.geofences.get(id)
  }

  /** The no-fly zone a point lies in, for refusing requests at ingestion. */
  noFlyZoneAt(lat: number, lon: number): Zone | undefined {
    return this.geofences.noFlyAt(lat, lon)
  }

  stats(): EngineStats {
    let lostNow = 0
    for (const d of this.drones_.values()) if (d.lost) lostNow++
    return this.counters.stats({ watermark: this.watermark, dronesLostNow: lostNow, zones: this.geofences.size })
  }

  /** Marks a drone lost and hands its deliveries on (Deliveries.compensate). */
  private lose(d: TrackedDrone, now: number, why: string): void {
    d.lost = true
    this.counters.dronesLost++
    this.desk.compensate(d, now, `drone ${d.id} ${why}`)
  }

  /**
   * A lost drone reports again. Its deliveries went to others when it was
   * lost, so it has none; if it is flying, it may still be on its old mission,
   * which now belongs to another drone: it is sent home, never double-assigned.
   */
  private reconcile(d: TrackedDrone): void {
    d.lost = false
    this.counters.dronesReconciled++
    if (d.state !== 'idle' && d.state !== 'charging') this.desk.sendHome(d, d.ts)
  }

  private checkZones(d: TrackedDrone): void {
    d.zones = this.geofences.update(d.zones, d.lat, d.lon, (zoneId, entered) => {
      if (entered) this.counters.geofenceEntered++
      else this.counters.geofenceExited++
      // Geofence events travel on a delivery's topic: only drones flying one have somewhere to say it.
      if (d.deliveryId)
        this.desk.emit({ type: entered ? 'GeofenceEntered' : 'GeofenceExited', deliveryId: d.deliveryId, ts: d.ts, droneId: d.id, zoneId })
    })
  }
}

function toView(d: TrackedDrone): DroneView {
  return {
    id: d.id,
    lat: d.lat,
    lon: d.lon,
    alt: d.alt,
    speed: d.speed,
    heading: d.heading,
    battery: d.battery,
    state: d.state,
    seq: d.seq,
    lastSeen: d.ts,
    deliveryId: d.deliveryId,
    nextDeliveryId: d.nextId,
    lost: d.lost,
    zones: d.zones ?? [],
  }
}
