import type { DroneCommand } from '../protocol/commands.js'
import type { DeliveryEvent, DeliveryStatus } from '../protocol/events.js'
import { DELIVERY_STATUSES, isTerminal } from '../protocol/events.js'
import type { LatLon, Zone } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import type { DeliveryRequest } from '../protocol/requests.js'
import type { TelemetryRejectReason, TelemetrySample } from '../protocol/telemetry.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { DroneNear, DroneView, EngineStats } from '../protocol/views.js'
import { Deliveries } from './Deliveries.js'
import { FleetIndex } from './FleetIndex.js'
import { Geofences } from './Geofences.js'
import type { WindField } from './groundSpeed.js'
import type { DeliveryRecord, TrackedDrone } from './records.js'
import { RoutePlanner } from './RoutePlanner.js'
import { Supervisor, type SupervisorOptions } from './Supervisor.js'

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
  /** Zones known from the start (scenario or configuration); more arrive as AddZone requests. */
  zones?: Zone[]
  /** How far outside a zone a drone must be seen to have left it, m (geofence hysteresis). Default 30. */
  geofenceExitBandM?: number
  /** How far from no-fly zones routes keep, m. Default 60. */
  zoneClearanceM?: number
  /** Wind for ground speeds in plans and ETAs; still air when absent. */
  wind?: WindField
  /** How soon a drone must be due to release its package to be promised the next delivery, ms. Default 10 min. */
  soonMs?: number
  supervisor?: SupervisorOptions
}

/**
 * The engine's pure core: fleet and delivery state, driven by telemetry,
 * requests and the clock, with every decision sent to the sink. No I/O, no
 * timers: time is the event time of what it is given. Deliveries (dispatch,
 * lifecycle, compensation) live in Deliveries; this class owns the fleet.
 */
export class Engine {
  private readonly autoRegister: boolean
  private readonly drones_ = new Map<string, TrackedDrone>()
  private readonly index = new FleetIndex<TrackedDrone>()
  private readonly geofences: Geofences
  private readonly supervisor: Supervisor
  private readonly desk: Deliveries
  private watermark = 0
  private readonly counters: Required<Omit<EngineStats, 'etaError' | 'zones' | 'dronesLostNow'>>

  constructor(o: EngineOptions) {
    this.autoRegister = o.autoRegister ?? true
    this.geofences = new Geofences({ exitBandM: o.geofenceExitBandM })
    for (const z of o.zones ?? []) this.geofences.set(z)
    this.supervisor = new Supervisor(o.supervisor)
    this.counters = {
      telemetryReceived: 0,
      telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
      telemetryStale: 0,
      telemetryDuplicate: 0,
      telemetryOutOfOrder: 0,
      telemetryUnknownDrone: 0,
      assignments: 0,
      reassignments: 0,
      deliveriesByStatus: Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>,
      watermark: 0,
      lagMs: 0,
      dronesLost: 0,
      dronesReconciled: 0,
      geofenceEntered: 0,
      geofenceExited: 0,
    }
    this.desk = new Deliveries({
      profile: o.profile,
      depots: o.depots,
      sink: o.sink,
      arrivalM: o.arrivalRadiusM ?? 30,
      fleet: this.index,
      drones: this.drones_,
      geofences: this.geofences,
      routes: new RoutePlanner(this.geofences, { clearanceM: o.zoneClearanceM }),
      wind: o.wind,
      soonMs: o.soonMs ?? 600_000,
      counters: this.counters,
    })
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
    const mayServe = !d || !this.desk.isAvailable(d)
    if (!d) {
      if (!this.autoRegister) {
        c.telemetryUnknownDrone++
        return false
      }
      // Written out, not spread: a spread copy with added fields becomes a dictionary-mode object (664 B instead of 182 B).
      d = {
        id: s.droneId, seq: s.seq, ts: s.ts, lat: s.lat, lon: s.lon, alt: s.alt, speed: s.speed, heading: s.heading, battery: s.battery, state: s.state,
        deliveryId: null, nextId: null, intervalMs: 0, lost: false, zones: null,
      }
      this.drones_.set(d.id, d)
    } else {
      this.supervisor.observe(d, s.ts)
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
    if (s.ts > this.watermark) this.watermark = s.ts
    if (d.lost && s.state !== 'failed') {
      // A sample older than the limit is still silence: reconciling on it would have the next tick lose the drone again.
      if (this.supervisor.fresh(d, s.ts, this.watermark)) this.reconcile(d)
    } else if (!d.lost && s.state === 'failed') this.lose(d, s.ts, 'reported failure')
    if (s.refused !== undefined) this.desk.refused(d, s.refused, s.ts)
    if (this.geofences.size > 0 || d.zones !== null) this.checkZones(d)
    this.desk.follow(d)
    if (mayServe && this.desk.isAvailable(d)) this.desk.dispatchQueue(this.watermark)
    return true
  }

  /** A request from the gateway. `receivedAt` is used only before any telemetry set the clock. */
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
      default: {
        const never: never = r
        return never
      }
    }
  }

  /**
   * The clock moved to `t` (event time): drones silent for longer than
   * their limit are lost and their deliveries compensated; queued deliveries
   * are retried, and fail once their deadline can no longer be met.
   */
  advance(t: number): void {
    if (t > this.watermark) this.watermark = t
    const now = this.watermark
    for (const d of this.supervisor.silent(this.drones_, now)) {
      this.lose(d, now, `was silent for ${Math.round((now - d.ts) / 1000)} s (limit ${Math.round(this.supervisor.limitMs(d) / 1000)} s)`)
    }
    this.desk.dispatchQueue(now)
  }

  /**
   * The adapter's measure of how far behind event time it processes: wall
   * time at processing minus the sample's event time. Kept here only so
   * stats() reports it; the core never reads a clock.
   */
  recordLag(ms: number): void {
    this.counters.lagMs = ms
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
    const c = this.counters
    let lostNow = 0
    for (const d of this.drones_.values()) if (d.lost) lostNow++
    return {
      ...c,
      telemetryRejected: { ...c.telemetryRejected },
      deliveriesByStatus: { ...c.deliveriesByStatus },
      watermark: this.watermark,
      dronesLostNow: lostNow,
      zones: this.geofences.size,
      etaError: this.desk.etaAccuracy.stats(),
    }
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
      if (d.deliveryId) this.desk.emit({ type: entered ? 'GeofenceEntered' : 'GeofenceExited', deliveryId: d.deliveryId, ts: d.ts, droneId: d.id, zoneId })
    })
  }
}

function toView(d: TrackedDrone): DroneView {
  return {
    id: d.id, lat: d.lat, lon: d.lon, alt: d.alt, speed: d.speed, heading: d.heading,
    battery: d.battery, state: d.state, seq: d.seq, lastSeen: d.ts, deliveryId: d.deliveryId,
    nextDeliveryId: d.nextId, lost: d.lost, zones: d.zones ?? [],
  }
}
