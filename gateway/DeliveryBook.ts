import { applyEventFields } from '../protocol/applyEventFields.js'
import { statusAfter } from '../protocol/deliveryStatus.js'
import { isTerminal, type DeliveryEvent, type DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import type { DeliverySnapshot, TrackingMessage, TrackMessage, TrailPoint } from '../protocol/tracking.js'
import { Trail } from './Trail.js'

/** What the gateway knows of a delivery the moment it accepts it. */
export interface AcceptedDelivery {
  id: string
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  deadline: number | null
}

/** Tracking messages and status messages of one delivery, as the WebSocket sends them. */
export type DeliveryListener = (msg: Exclude<TrackMessage, { type: 'snapshot' }>) => void

export interface DeliveryBookOptions {
  /** Wall clock for createdAt/updatedAt (when the gateway learned something, not event time; requestedAt is the engine's event time). */
  now: () => number
  /** Oldest deliveries are forgotten beyond this many, terminal ones first. */
  maxDeliveries?: number
  /** Points kept of a flying delivery's trail (thinned beyond). Default 256. */
  trailPoints?: number
  /** Points kept of an ended delivery's trail. Default 64. */
  endedTrailPoints?: number
}

/**
 * The gateway's read model of deliveries, built only from what the engine
 * publishes (events and tracking). Pure: no I/O, no timers.
 *
 * Status comes from events only, folded by the engine's own state machine
 * (protocol/deliveryStatus.ts). Tracking travels on another topic, and MQTT
 * orders messages per topic, so a tracking message's `status` may run ahead of
 * or behind the events; it updates position, ETA and drone, never status.
 */
export class DeliveryBook {
  private readonly deliveries = new Map<string, DeliverySnapshot>()
  private readonly listeners = new Map<string, Set<DeliveryListener>>()
  /** Creation order, for stable list cursors (Map order is insertion order, so this only grows along it). */
  private readonly seqOf = new Map<string, number>()
  /** Where each delivery's drone has flown, from its tracking messages (not stored: gone after a restart). */
  private readonly trails = new Map<string, Trail>()
  private seq = 0
  /** The last logged event (its store seq) folded into each delivery: a repeat is skipped, even one older than a restore from the store. */
  private readonly logged = new Map<string, number>()
  private readonly now: () => number
  private readonly max: number
  private readonly trailPoints: number
  private readonly endedTrailPoints: number
  /** Events and tracking for deliveries this book never saw created (e.g. after a gateway restart). */
  ignored = 0

  constructor(o: DeliveryBookOptions) {
    this.now = o.now
    this.max = o.maxDeliveries ?? 100_000
    this.trailPoints = o.trailPoints ?? 256
    this.endedTrailPoints = Math.min(o.endedTrailPoints ?? 64, this.trailPoints)
  }

  get size(): number {
    return this.deliveries.size
  }

  get(id: string): DeliverySnapshot | undefined {
    return this.deliveries.get(id)
  }

  /** Where the delivery's drone has flown, oldest first (thinned, see Trail); empty when unknown. */
  trail(id: string): TrailPoint[] {
    return this.trails.get(id)?.points() ?? []
  }

  /**
   * Records a delivery the gateway has just handed to the broker, so an
   * immediate GET finds it. The engine's DeliveryCreated may already have
   * arrived (it races the PUBACK); then the known state wins.
   */
  accept(d: AcceptedDelivery): DeliverySnapshot {
    return this.deliveries.get(d.id) ?? this.create(d)
  }

  /**
   * Takes in a delivery known from elsewhere (the store, after a restart), so
   * its later events and tracking apply and sockets can follow it. A
   * delivery the book already has is left as it is.
   */
  restore(snapshot: DeliverySnapshot): DeliverySnapshot {
    const known = this.deliveries.get(snapshot.id)
    if (known) return known
    const d = this.create(snapshot)
    Object.assign(d, { ...snapshot, history: [...snapshot.history] })
    // The store's history holds events 1..n: an engine publishing them again after a crash must not fold them twice.
    this.logged.set(d.id, snapshot.history.length)
    return d
  }

  apply(e: DeliveryEvent): void {
    let d = this.deliveries.get(e.deliveryId)
    if (!d) {
      if (e.type !== 'DeliveryCreated') {
        this.ignored++
        return
      }
      d = this.create({ id: e.deliveryId, pickup: e.pickup, dropoff: e.dropoff, weightKg: e.weightKg, deadline: e.deadline })
    }
    if (e.seq !== undefined) {
      if (e.seq <= (this.logged.get(d.id) ?? 0)) return
      this.logged.set(d.id, e.seq)
    }
    d.history.push(e)
    d.updatedAt = this.now()
    // Once terminal, a delivery stays so: late events go into history only.
    if (isTerminal(d.status)) return
    const before = d.status
    // The engine's own fold: the book says what the engine decided.
    d.status = statusAfter(d.status, e.type)
    const changed = applyEventFields(d, e)
    // An ended delivery's trail is only looked at, never extended: a coarser one is enough.
    if (isTerminal(d.status)) this.trails.get(d.id)?.shrink(this.endedTrailPoints)
    if (changed || d.status !== before) this.emit(d.id, { type: 'status', deliveryId: d.id, status: d.status, event: e })
  }

  applyTracking(m: TrackingMessage): void {
    const d = this.deliveries.get(m.deliveryId)
    if (!d) {
      this.ignored++
      return
    }
    if (isTerminal(d.status)) return
    d.position = m.position
    d.eta = m.eta
    d.droneId = m.droneId
    d.updatedAt = this.now()
    let trail = this.trails.get(d.id)
    if (!trail) this.trails.set(d.id, (trail = new Trail(this.trailPoints)))
    trail.push(m.position.lat, m.position.lon, m.ts)
    this.emit(d.id, m)
  }

  /** Listens to one delivery's changes; returns the function that stops listening. */
  subscribe(id: string, listener: DeliveryListener): () => void {
    let set = this.listeners.get(id)
    if (!set) this.listeners.set(id, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id)
    }
  }

  /**
   * Deliveries newest first, optionally of one status, each with its list key:
   * the creation sequence, zero-padded so that keys compare as strings.
   */
  list(status?: DeliveryStatus): Array<{ key: string; delivery: DeliverySnapshot }> {
    const out: Array<{ key: string; delivery: DeliverySnapshot }> = []
    for (const d of this.deliveries.values()) {
      if (status === undefined || d.status === status) out.push({ key: String(this.seqOf.get(d.id) ?? 0).padStart(12, '0'), delivery: d })
    }
    return out.reverse()
  }

  /** Counts by status, for logs and tests. */
  countByStatus(): Record<DeliveryStatus, number> {
    const c: Record<DeliveryStatus, number> = { Created: 0, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 0 }
    for (const d of this.deliveries.values()) c[d.status]++
    return c
  }

  private create(d: AcceptedDelivery): DeliverySnapshot {
    const t = this.now()
    const s: DeliverySnapshot = {
      id: d.id,
      status: 'Created',
      pickup: d.pickup,
      dropoff: d.dropoff,
      weightKg: d.weightKg,
      deadline: d.deadline,
      droneId: null,
      position: null,
      eta: null,
      requestedAt: null,
      createdAt: t,
      updatedAt: t,
      history: [],
    }
    this.deliveries.set(d.id, s)
    this.seqOf.set(d.id, ++this.seq)
    if (this.deliveries.size > this.max) this.evict()
    return s
  }

  /** Forgets the oldest terminal delivery, or the oldest of all when none is terminal (Map order = insertion order). */
  private evict(): void {
    let victim: string | undefined
    for (const [id, d] of this.deliveries) {
      if (isTerminal(d.status)) {
        victim = id
        break
      }
    }
    victim ??= this.deliveries.keys().next().value
    if (victim !== undefined) {
      this.deliveries.delete(victim)
      this.seqOf.delete(victim)
      this.logged.delete(victim)
      this.trails.delete(victim)
    }
  }

  private emit(id: string, msg: Parameters<DeliveryListener>[0]): void {
    const set = this.listeners.get(id)
    if (!set) return
    for (const l of [...set]) l(msg)
  }
}
