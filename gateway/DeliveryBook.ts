import { isTerminal, type DeliveryEvent, type DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import type { DeliverySnapshot, TrackingMessage, TrackMessage } from '../protocol/tracking.js'

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
  /** Wall clock for createdAt/updatedAt (when the gateway learned something, not event time). */
  now: () => number
  /** Oldest deliveries are forgotten beyond this many, terminal ones first. */
  maxDeliveries?: number
}

/**
 * The gateway's read model of deliveries, built only from what the engine
 * publishes (events and tracking). Pure: no I/O, no timers.
 *
 * Status comes from events only. Tracking travels on another topic, and MQTT
 * orders messages per topic, so a tracking message's `status` may run ahead of
 * or behind the events; it updates position, ETA and drone, never status.
 */
export class DeliveryBook {
  private readonly deliveries = new Map<string, DeliverySnapshot>()
  private readonly listeners = new Map<string, Set<DeliveryListener>>()
  /** Creation order, for stable list cursors (Map order is insertion order, so this only grows along it). */
  private readonly seqOf = new Map<string, number>()
  private seq = 0
  private readonly now: () => number
  private readonly max: number
  /** Events and tracking for deliveries this book never saw created (e.g. after a gateway restart). */
  ignored = 0

  constructor(o: DeliveryBookOptions) {
    this.now = o.now
    this.max = o.maxDeliveries ?? 100_000
  }

  get size(): number {
    return this.deliveries.size
  }

  get(id: string): DeliverySnapshot | undefined {
    return this.deliveries.get(id)
  }

  /**
   * Records a delivery the gateway has just handed to the broker, so an
   * immediate GET finds it. The engine's DeliveryCreated may already have
   * arrived (it races the PUBACK); then the known state wins.
   */
  accept(d: AcceptedDelivery): DeliverySnapshot {
    return this.deliveries.get(d.id) ?? this.create(d)
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
    d.history.push(e)
    d.updatedAt = this.now()
    // Once terminal, a delivery stays so: late events go into history only.
    if (isTerminal(d.status)) return
    const before = d.status
    let changed = true
    switch (e.type) {
      case 'DeliveryCreated':
        changed = false
        break
      case 'DroneAssigned':
        d.status = 'HeadedToPickup'
        d.droneId = e.droneId
        d.eta = e.eta
        break
      case 'PackagePickedUp':
        d.status = 'HeadedToDropoff'
        d.droneId = e.droneId
        break
      case 'DeliveryCompleted':
        d.status = 'Completed'
        break
      case 'DeliveryCancelled':
        d.status = 'Cancelled'
        break
      case 'DeliveryFailed':
        d.status = 'Failed'
        break
      case 'DeliveryRescheduled':
        d.dropoff = e.dropoff
        d.deadline = e.deadline
        break
      case 'DroneLost':
        d.droneId = null
        d.eta = null
        break
      case 'DeliveryReassigned':
        // The new drone starts from wherever it is: it has to fetch the package first.
        d.status = 'HeadedToPickup'
        d.droneId = e.toDroneId
        break
      case 'GeofenceEntered':
      case 'GeofenceExited':
        changed = false
        break
    }
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
      id: d.id, status: 'Created', pickup: d.pickup, dropoff: d.dropoff, weightKg: d.weightKg, deadline: d.deadline,
      droneId: null, position: null, eta: null, createdAt: t, updatedAt: t, history: [],
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
    }
  }

  private emit(id: string, msg: Parameters<DeliveryListener>[0]): void {
    const set = this.listeners.get(id)
    if (!set) return
    for (const l of [...set]) l(msg)
  }
}
