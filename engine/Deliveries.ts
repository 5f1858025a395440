import type { LatLon } from '../protocol/geo.js'
import { haversineM } from '../protocol/geo.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { isTerminal } from '../protocol/events.js'
import type { DroneProfile } from '../protocol/profile.js'
import type { DeliveryRequest } from '../protocol/requests.js'
import type { EngineStats } from '../protocol/views.js'
import { nextStatus } from './deliveryLifecycle.js'
import { Dispatcher, type Offer } from './Dispatcher.js'
import type { EngineSink } from './Engine.js'
import { etaFrom, remainingSeconds, smoothEta } from './estimateEta.js'
import { EtaAccuracy } from './EtaAccuracy.js'
import { FleetIndex } from './FleetIndex.js'
import type { Geofences } from './Geofences.js'
import type { WindField } from './groundSpeed.js'
import type { DeliveryRecord, TrackedDrone } from './records.js'
import type { RoutePlanner } from './RoutePlanner.js'

type Counters = Pick<Required<EngineStats>, 'assignments' | 'reassignments' | 'deliveriesByStatus'>
type Create = Extract<DeliveryRequest, { type: 'CreateDelivery' }>
type Reschedule = Extract<DeliveryRequest, { type: 'RescheduleDelivery' }>

export interface DeliveriesDeps {
  profile: DroneProfile
  depots: LatLon[]
  sink: EngineSink
  arrivalM: number
  fleet: FleetIndex<TrackedDrone>
  drones: ReadonlyMap<string, TrackedDrone>
  geofences: Geofences
  routes: RoutePlanner
  wind: WindField | undefined
  soonMs: number
  counters: Counters
}

/**
 * Deliveries from request to end: dispatch (Dispatcher), the lifecycle
 * derived from the drone's position, re-plans, cancels, and compensation
 * when a drone is lost. Every change goes through the state machine and is
 * published as a delivery event.
 */
export class Deliveries {
  readonly etaAccuracy = new EtaAccuracy()
  private readonly records = new Map<string, DeliveryRecord>()
  /** Deliveries waiting for a drone, oldest first. */
  private readonly queue: string[] = []
  /** Drones flying a package with nothing promised after it, at that package's drop-off. */
  private readonly finishing = new FleetIndex<TrackedDrone>()
  private readonly dispatcher: Dispatcher
  private readonly passM: number
  private commandSeq = 0

  constructor(private readonly x: DeliveriesDeps) {
    this.passM = Math.max(50, 2 * x.arrivalM)
    this.dispatcher = new Dispatcher({
      profile: x.profile, depots: x.depots, arrivalM: x.arrivalM, routes: x.routes, wind: x.wind, fleet: x.fleet,
      finishing: this.finishing, isAvailable: (d) => this.isAvailable(d), current: (d) => this.current(d), soonMs: x.soonMs,
    })
  }

  get(id: string): DeliveryRecord | undefined {
    return this.records.get(id)
  }

  isAvailable(d: TrackedDrone): boolean {
    return d.state === 'idle' && d.deliveryId === null && d.nextId === null && !d.lost
  }

  create(r: Create, now: number): void {
    if (this.records.has(r.id)) return // a redelivered QoS 1 message: already handled
    const rec: DeliveryRecord = {
      id: r.id, status: 'Created', pickup: r.pickup, dropoff: r.dropoff, weightKg: r.weightKg, deadline: r.deadline, createdAt: now,
      droneId: null, previousDroneId: null, refusedBy: null, depot: null, dwellStart: null, eta: null, promised: null, plan: null,
    }
    this.records.set(rec.id, rec)
    this.x.counters.deliveriesByStatus.Created++
    this.emit({ type: 'DeliveryCreated', deliveryId: rec.id, ts: now, pickup: rec.pickup, dropoff: rec.dropoff, weightKg: rec.weightKg, deadline: rec.deadline })
    const refused = this.noFly('pickup', rec.pickup) ?? this.noFly('drop-off', rec.dropoff)
    if (refused) this.fail(rec, now, refused)
    else if (!this.tryAssign(rec, now)) this.queue.push(rec.id)
  }

  /**
   * Cancel before pickup frees the drone (it takes its promised next delivery
   * or flies home). Cancel after pickup: the drone flies the package back to
   * the depot nearest it, named in the event; a next delivery promised to it
   * starts once it is idle there.
   */
  cancel(id: string, reason: string, now: number): void {
    const rec = this.records.get(id)
    if (!rec || isTerminal(rec.status)) return
    const d = rec.droneId ? this.x.drones.get(rec.droneId) : undefined
    const loaded = rec.status === 'HeadedToDropoff'
    const returnTo = loaded && d ? this.dispatcher.depotFor(d, d) : undefined
    if (!this.transition(rec, { type: 'DeliveryCancelled', deliveryId: id, ts: now, reason, ...(returnTo ? { packageReturnsTo: returnTo } : {}) })) return
    if (d) this.unlink(d, rec, now, loaded)
  }

  /**
   * A new drop-off and/or deadline. The drone keeps the delivery when it can
   * still fly it in time (before pickup; after pickup, when its battery
   * covers the new drop-off); before pickup another drone may take over;
   * otherwise it fails with a reason, a package aboard returning to a depot.
   */
  reschedule(r: Reschedule, now: number): void {
    const rec = this.records.get(r.id)
    if (!rec || isTerminal(rec.status)) return
    const dropoff = r.dropoff ?? rec.dropoff
    const deadline = r.deadline === undefined ? rec.deadline : r.deadline
    // A redelivered QoS 1 message changes nothing and says nothing.
    if (dropoff.lat === rec.dropoff.lat && dropoff.lon === rec.dropoff.lon && deadline === rec.deadline) return
    rec.dropoff = dropoff
    rec.deadline = deadline
    this.transition(rec, { type: 'DeliveryRescheduled', deliveryId: rec.id, ts: now, dropoff, deadline })
    const d = rec.droneId ? this.x.drones.get(rec.droneId) : undefined
    const refused = this.noFly('new drop-off', dropoff)
    if (refused || rec.status === 'Created' || !d) {
      const loaded = rec.status === 'HeadedToDropoff'
      if (refused) this.fail(rec, now, refused)
      if (d) this.unlink(d, rec, now, loaded)
      if (!refused) this.dispatchQueue(now)
      return
    }
    if (rec.status === 'HeadedToDropoff') {
      const offer = this.dispatcher.loadedOffer(d, rec, now)
      if (offer) return this.start(rec, offer, now)
      this.fail(rec, now, `drone ${d.id}'s battery does not cover the new drop-off (${dropoff.lat}, ${dropoff.lon}) and a depot after it`)
      return this.unlink(d, rec, now, true)
    }
    const next = d.nextId === rec.id
    const toDropoff = this.x.routes.route(rec.pickup, dropoff)
    const offer = toDropoff && this.dispatcher.offer(d, rec, toDropoff, now, next ? this.current(d) ?? null : null)
    if (offer && (deadline === null || offer.release <= deadline)) {
      if (next) this.plan(rec, offer, now)
      else this.start(rec, offer, now)
      return
    }
    this.unlink(d, rec, now, false)
    this.handOver(rec, now, d.id, `drone ${d.id} cannot fly the new drop-off or deadline in time`)
  }

  /** Retries queued deliveries; those whose deadline can no longer be met fail. */
  dispatchQueue(now: number): void {
    if (this.queue.length === 0) return
    let kept = 0
    for (const id of this.queue) {
      const rec = this.records.get(id)
      if (rec?.status === 'Created' && !this.tryAssign(rec, now)) this.queue[kept++] = id
    }
    this.queue.length = kept
  }

  /**
   * A drone was lost (silent, or reported failure). A delivery not yet picked
   * up goes back to Created (DroneLost) and to another drone at once
   * (DeliveryReassigned) or when one frees up; a package aboard is lost with
   * the drone, and that delivery fails with the reason.
   */
  compensate(d: TrackedDrone, now: number, why: string): void {
    this.finishing.delete(d.id)
    const ids = [d.deliveryId, d.nextId]
    d.deliveryId = null
    d.nextId = null
    for (const id of ids) {
      const rec = id ? this.records.get(id) : undefined
      if (!rec || isTerminal(rec.status)) continue
      this.transition(rec, { type: 'DroneLost', deliveryId: rec.id, ts: now, droneId: d.id, reason: why })
      if (rec.status === 'HeadedToDropoff') {
        this.fail(rec, now, `${why} carrying the package; last seen at (${d.lat.toFixed(5)}, ${d.lon.toFixed(5)})`)
        continue
      }
      Object.assign(rec, { droneId: null, previousDroneId: d.id, plan: null, eta: null, dwellStart: null })
      if (!this.tryAssign(rec, now)) this.queue.push(rec.id)
    }
  }

  /**
   * The drone refuses a delivery it was given (its own estimate says its
   * reserve would not hold). Before pickup another drone takes it over
   * (DeliveryReassigned) or it fails with the reason; a refused re-plan with
   * the package aboard fails and the package returns to a depot.
   */
  refused(d: TrackedDrone, id: string, now: number): void {
    const rec = this.records.get(id)
    if (!rec || isTerminal(rec.status) || rec.droneId !== d.id) return
    const loaded = rec.status === 'HeadedToDropoff' && d.deliveryId === rec.id
    // Never offered to this drone again: it would only refuse once more.
    rec.refusedBy = [...(rec.refusedBy ?? []), d.id]
    this.unlink(d, rec, now, loaded)
    const why = `drone ${d.id} refused it (its reserve would not cover the trip)`
    if (loaded) this.fail(rec, now, why)
    else this.handOver(rec, now, d.id, why)
  }

  /** Derives pickup and completion from the drone's position, and publishes its tracking update. */
  follow(d: TrackedDrone): void {
    const rec = d.deliveryId ? this.records.get(d.deliveryId) : undefined
    if (!rec || isTerminal(rec.status)) {
      d.deliveryId = null
      // A drone that flew a cancelled package home starts its promised delivery once idle there.
      if (d.nextId && d.state === 'idle') this.startNext(d, d.ts)
      return
    }
    const picking = rec.status === 'HeadedToPickup'
    const target = picking ? rec.pickup : rec.dropoff
    const plan = rec.plan
    if (plan) {
      const leg = picking ? plan.toPickup : plan.toDropoff
      const last = leg ? leg.waypoints.length - 1 : 0
      // Turning points are passed when flown near; the target is reached by the arrival rule below.
      while (leg && plan.next < last && haversineM(d.lat, d.lon, leg.waypoints[plan.next]!.lat, leg.waypoints[plan.next]!.lon) <= this.passM) plan.next++
    }
    const near = haversineM(d.lat, d.lon, target.lat, target.lon) <= this.x.arrivalM
    if (near && d.state === 'hover') rec.dwellStart ??= d.ts
    const dwellS = rec.dwellStart === null ? 0 : (d.ts - rec.dwellStart) / 1000
    // Handled: hovered the full handling time, or hovered and has now moved on
    // (a drone that failed there has not handed anything over).
    if (rec.dwellStart !== null && d.state !== 'failed' && (dwellS >= this.x.profile.handlingS || d.state !== 'hover')) {
      rec.dwellStart = null
      if (picking) {
        this.transition(rec, { type: 'PackagePickedUp', deliveryId: rec.id, ts: d.ts, droneId: d.id })
        if (plan) Object.assign(plan, { toPickup: null, next: 0 })
        if (!d.nextId) this.finishing.set(d.id, rec.dropoff.lat, rec.dropoff.lon, d)
      } else {
        this.transition(rec, { type: 'DeliveryCompleted', deliveryId: rec.id, ts: d.ts, droneId: d.id })
        if (rec.promised) this.etaAccuracy.record(rec.promised, d.ts)
        this.unlink(d, rec, d.ts, false)
      }
    }
    if (isTerminal(rec.status)) rec.eta = null
    else rec.eta = smoothEta(rec.eta, etaFrom(d.ts, this.remainingS(d, rec)), d.ts)
    this.x.sink.tracking({
      type: 'tracking', deliveryId: rec.id, droneId: d.id, ts: d.ts, position: { lat: d.lat, lon: d.lon, alt: d.alt },
      speed: d.speed, heading: d.heading, battery: d.battery, droneState: d.state, status: rec.status, eta: rec.eta,
    })
  }

  /** Sends a drone to the depot nearest it, abandoning whatever it flies. */
  sendHome(d: TrackedDrone, now: number): void {
    this.x.sink.command({ type: 'ReturnToDepot', commandId: `c-${++this.commandSeq}`, droneId: d.id, depot: this.dispatcher.depotFor(d, d), issuedAt: now })
  }

  /** Publishes an event that changes no status (geofences). */
  emit(e: DeliveryEvent): void {
    this.x.sink.event(e)
  }

  private current(d: TrackedDrone): DeliveryRecord | undefined {
    return d.deliveryId ? this.records.get(d.deliveryId) : undefined
  }

  private noFly(what: string, p: LatLon): string | undefined {
    const z = this.x.geofences.noFlyAt(p.lat, p.lon)
    return z && `the ${what} (${p.lat}, ${p.lon}) lies inside no-fly zone "${z.name ?? z.id}"`
  }

  /** Assigns `rec` if a drone can take it now; fails it if none ever can in time; false to keep it queued. */
  private tryAssign(rec: DeliveryRecord, now: number): boolean {
    if (rec.deadline !== null && this.dispatcher.soonestRelease(rec, now) > rec.deadline) {
      this.fail(rec, now, `it can no longer be delivered by its deadline ${new Date(rec.deadline).toISOString()}`)
      return true
    }
    const decision = this.dispatcher.decide(rec, now)
    if ('wait' in decision) return false
    if ('reason' in decision) this.fail(rec, now, decision.reason)
    else this.give(rec, decision.offer, now, rec.previousDroneId)
    return true
  }

  /** Gives `rec` to another drone than `fromId` now, or fails it. */
  private handOver(rec: DeliveryRecord, now: number, fromId: string, why: string): void {
    const decision = this.dispatcher.decide(rec, now, [fromId])
    if ('offer' in decision) this.give(rec, decision.offer, now, fromId)
    else this.fail(rec, now, 'reason' in decision ? `${why}: ${decision.reason}` : `${why}, and no other drone can take it now`)
  }

  /** Assigns: DroneAssigned, or DeliveryReassigned when it had a drone before. */
  private give(rec: DeliveryRecord, offer: Offer, now: number, fromId: string | null): void {
    const d = offer.drone
    this.x.counters.assignments++
    if (offer.after) {
      d.nextId = rec.id
      this.finishing.delete(d.id)
      this.plan(rec, offer, now)
    } else {
      this.start(rec, offer, now)
    }
    rec.promised = rec.eta
    if (fromId === null) {
      this.transition(rec, { type: 'DroneAssigned', deliveryId: rec.id, ts: now, droneId: d.id, eta: rec.eta! })
    } else {
      this.x.counters.reassignments++
      this.transition(rec, { type: 'DeliveryReassigned', deliveryId: rec.id, ts: now, fromDroneId: fromId, toDroneId: d.id })
    }
  }

  /** Records the offer's plan and ETA on the delivery. */
  private plan(rec: DeliveryRecord, offer: Offer, now: number): void {
    rec.droneId = offer.drone.id
    rec.depot = offer.depot
    rec.dwellStart = null
    const loaded = rec.status === 'HeadedToDropoff'
    rec.plan = { toPickup: loaded ? null : offer.toPickup, toDropoff: offer.toDropoff, next: 0 }
    rec.eta = etaFrom(now, (offer.release - now) / 1000)
  }

  /** Plans and sends the drone its mission now. */
  private start(rec: DeliveryRecord, offer: Offer, now: number): void {
    const d = offer.drone
    this.plan(rec, offer, now)
    d.deliveryId = rec.id
    const loaded = rec.status === 'HeadedToDropoff'
    if (loaded && !d.nextId) this.finishing.set(d.id, rec.dropoff.lat, rec.dropoff.lon, d)
    const turns = (r: { waypoints: LatLon[] }): LatLon[] => r.waypoints.slice(0, -1)
    this.x.sink.command({
      type: 'AssignDelivery', commandId: `c-${++this.commandSeq}`, droneId: d.id, deliveryId: rec.id,
      pickup: loaded ? { lat: d.lat, lon: d.lon } : rec.pickup, dropoff: rec.dropoff, depot: offer.depot, payloadKg: rec.weightKg, issuedAt: now,
      ...(loaded ? { loaded: true } : {}),
      via: { pickup: loaded ? [] : turns(offer.toPickup), dropoff: turns(offer.toDropoff), depot: turns(offer.back) },
    })
  }

  /** The drone released its package: it starts the delivery promised to it, if any. */
  private startNext(d: TrackedDrone, now: number): void {
    const rec = d.nextId ? this.records.get(d.nextId) : undefined
    d.nextId = null
    if (!rec || rec.status !== 'HeadedToPickup' || rec.droneId !== d.id) return
    const toDropoff = this.x.routes.route(rec.pickup, rec.dropoff)
    const offer = toDropoff && this.dispatcher.offer(d, rec, toDropoff, now)
    if (offer) this.start(rec, offer, now)
    else this.handOver(rec, now, d.id, `drone ${d.id} could not cover it after its previous delivery`)
  }

  /**
   * Detaches `rec` from drone `d` (it ended or moves elsewhere). The drone
   * starts its promised next delivery, unless it carries a package home
   * (`hasPackage`), in which case it flies to the depot first.
   */
  private unlink(d: TrackedDrone, rec: DeliveryRecord, now: number, hasPackage: boolean): void {
    if (d.nextId === rec.id) {
      d.nextId = null
      const cur = this.current(d)
      if (cur?.status === 'HeadedToDropoff') this.finishing.set(d.id, cur.dropoff.lat, cur.dropoff.lon, d)
      return
    }
    if (d.deliveryId !== rec.id) return
    d.deliveryId = null
    this.finishing.delete(d.id)
    const completed = rec.status === 'Completed'
    if (d.nextId && !hasPackage) this.startNext(d, now)
    // A completed drone flies to the depot its mission named; any other is told to.
    else if (!completed) this.sendHome(d, now)
  }

  private remainingS(d: TrackedDrone, rec: DeliveryRecord): number {
    const picking = rec.status === 'HeadedToPickup'
    const plan = rec.plan
    const dwellS = rec.dwellStart === null ? 0 : (d.ts - rec.dwellStart) / 1000
    const leg = plan ? (picking ? plan.toPickup : plan.toDropoff) : null
    const target = picking ? rec.pickup : rec.dropoff
    const straight = { waypoints: [target], rest: [0], lengthM: 0, airPerM: 1 }
    return remainingSeconds(this.x.profile, {
      lat: d.lat, lon: d.lon, alt: d.alt, state: d.state, leg: leg ?? straight, next: leg ? plan!.next : 0,
      then: picking ? plan?.toDropoff ?? { ...straight, lengthM: haversineM(rec.pickup.lat, rec.pickup.lon, rec.dropoff.lat, rec.dropoff.lon), waypoints: [rec.dropoff] } : null,
      dwellS,
    }, this.x.arrivalM)
  }

  private fail(rec: DeliveryRecord, now: number, reason: string): void {
    this.transition(rec, { type: 'DeliveryFailed', deliveryId: rec.id, ts: now, reason })
  }

  /** Applies an event through the state machine and publishes it; false when not allowed. */
  private transition(rec: DeliveryRecord, e: DeliveryEvent): boolean {
    const next = nextStatus(rec.status, e.type)
    if (next === undefined) return false
    const by = this.x.counters.deliveriesByStatus
    by[rec.status]--
    by[next]++
    rec.status = next
    this.emit(e)
    return true
  }
}
