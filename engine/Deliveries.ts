import type { DroneCommand } from '../protocol/commands.js'
import type { LatLon } from '../protocol/geo.js'
import { haversineM } from '../protocol/geo.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { isTerminal } from '../protocol/events.js'
import { climbSeconds, type DroneProfile } from '../protocol/profile.js'
import type { DeliveryRequest } from '../protocol/requests.js'
import { nextStatus } from '../protocol/deliveryStatus.js'
import { Dispatcher, type Offer } from './Dispatcher.js'
import type { EngineCounters } from './EngineCounters.js'
import type { EngineSink } from './EngineSink.js'
import type { Eta } from '../protocol/eta.js'
import type { EtaPhase } from './EtaCalibration.js'
import { type EtaInput, etaFrom, legSeconds, remainingSeconds, smoothEta } from './estimateEta.js'
import { FleetLearning } from './FleetLearning.js'
import { FleetIndex } from './FleetIndex.js'
import { fleetView, isAvailable } from './FleetView.js'
import type { Geofences } from './Geofences.js'
import { airPerGroundM, type WindField } from './groundSpeed.js'
import { M_PER_DEG, mPerDegLon } from './Ring.js'
import type { DeliveryRecord, DeliveryState, TrackedDrone } from './records.js'
import type { Route, RoutePlanner } from './RoutePlanner.js'
import { TerminalRetention } from './TerminalRetention.js'

type Create = Extract<DeliveryRequest, { type: 'CreateDelivery' }>

/** Bearings to a waypoint nearer than this are too sensitive to GPS noise, and near a turn the drone may fly another leg. */
const COURSE_CLEAR_M = 300
/** The wind along a route is sampled at least this often, m. */
const SAMPLE_M = 1000
type Reschedule = Extract<DeliveryRequest, { type: 'RescheduleDelivery' }>
type Assign = Extract<DroneCommand, { type: 'AssignDelivery' }>

export interface DeliveriesDeps {
  profile: DroneProfile
  depots: LatLon[]
  sink: EngineSink
  arrivalM: number
  fleet: FleetIndex<TrackedDrone>
  drones: ReadonlyMap<string, TrackedDrone>
  geofences: Geofences
  routes: RoutePlanner
  /** What the engine is told of the wind (a forecast): the prior of what it learns. */
  wind: WindField | undefined
  soonMs: number
  /** How a release is recognised: after hovering the profile's handling time there, or only once the drone leaves (handling times vary). */
  releaseOn: 'dwell' | 'departure'
  /** How long an ended delivery stays in memory, ms of event time. */
  retainTerminalMs: number
  /** Prefix of command ids: an engine restarted on the same store must not reuse its predecessor's. */
  commandIdPrefix: string
  /** The engine's counters: assignments, reassignments, deliveries by status, ETA accuracy are counted here. */
  counters: EngineCounters
}

/**
 * Deliveries from request to end: dispatch (Dispatcher), the lifecycle
 * derived from the drone's position, re-plans, cancels, and compensation
 * when a drone is lost. Every change goes through the state machine and is
 * published as a delivery event.
 */
export class Deliveries {
  private readonly records = new Map<string, DeliveryRecord>()
  /** Deliveries waiting for a drone, oldest first. */
  private readonly queue: string[] = []
  /** Drones flying a package with nothing promised after it, at that package's drop-off. */
  private readonly finishing = new FleetIndex<TrackedDrone>()
  private readonly dispatcher: Dispatcher
  private readonly passM: number
  private commandSeq = 0
  /** The mission each flying delivery's drone was last sent (recovery re-sends it). */
  private readonly missions = new Map<string, Assign>()
  /** Restored links for drones not heard from yet: drone id → what it flies and what is promised to it. */
  private readonly waiting = new Map<string, { deliveryId: string | null; nextId: string | null }>()
  private readonly retention: TerminalRetention
  /** Wind, drones' factors, handling times and ETA errors, learned from telemetry. */
  readonly learning: FleetLearning

  constructor(private readonly x: DeliveriesDeps) {
    this.passM = Math.max(50, 2 * x.arrivalM)
    this.retention = new TerminalRetention(x.retainTerminalMs)
    this.learning = new FleetLearning(x.profile, x.wind)
    this.dispatcher = new Dispatcher({
      profile: x.profile,
      depots: x.depots,
      arrivalM: x.arrivalM,
      routes: x.routes,
      wind: () => this.learning.planningWind(),
      profileOf: (id, cautious) => this.learning.profileOf(id, cautious),
      fleet: fleetView(x.fleet, this.finishing, this.records),
      soonMs: x.soonMs,
    })
  }

  get(id: string): DeliveryRecord | undefined {
    return this.records.get(id)
  }

  /** Deliveries in memory (open, and ended ones not yet dropped). */
  get size(): number {
    return this.records.size
  }

  /** What a restarted engine needs of an open delivery; undefined once it ended (or is unknown). */
  snapshot(id: string): DeliveryState | undefined {
    const rec = this.records.get(id)
    if (!rec || isTerminal(rec.status)) return undefined
    const d = rec.droneId ? this.x.drones.get(rec.droneId) : undefined
    const flying = d?.deliveryId === id
    const drone = d && {
      id: d.id,
      ts: d.ts,
      lat: d.lat,
      lon: d.lon,
      alt: d.alt,
      speed: d.speed,
      heading: d.heading,
      battery: d.battery,
      state: d.state,
      intervalMs: d.intervalMs,
    }
    return {
      v: 1,
      record: structuredClone(rec),
      mission: flying ? (this.missions.get(id) ?? null) : null,
      promised: d?.nextId === id,
      drone: drone ?? null,
    }
  }

  /**
   * Takes back open deliveries saved by snapshot() (recovery): waiting ones
   * queue again, and each drone's mission is sent again at its first sample
   * (heardAgain; a drone already flying it ignores the repeat). Links to
   * drones not heard from yet wait for their first sample (adopt).
   */
  restore(states: readonly DeliveryState[]): void {
    for (const s of states) {
      const rec = structuredClone(s.record)
      if (this.records.has(rec.id) || isTerminal(rec.status)) continue
      this.records.set(rec.id, rec)
      this.x.counters.deliveriesByStatus[rec.status]++
      if (rec.status === 'Created' || rec.droneId === null) {
        if (!this.queue.includes(rec.id)) this.queue.push(rec.id)
        continue
      }
      const link = this.waiting.get(rec.droneId) ?? { deliveryId: null, nextId: null }
      if (s.promised) link.nextId = rec.id
      else link.deliveryId = rec.id
      this.waiting.set(rec.droneId, link)
      // Sent again at the drone's first sample (heardAgain), not now: a drone that lost its broker with us is not listening yet.
      if (s.mission && !s.promised) this.missions.set(rec.id, s.mission)
    }
    for (const [id, d] of this.x.drones) if (this.waiting.has(id)) this.adopt(d)
  }

  /**
   * A restored drone's first sample since the restore: it is connected and
   * listening, so the mission it flies is sent again now (a drone already
   * flying it ignores the repeat by its command id). Sent at restore time,
   * it would be lost whenever the drone's broker restarted with the engine.
   */
  heardAgain(d: TrackedDrone): void {
    const mission = d.deliveryId === null ? undefined : this.missions.get(d.deliveryId)
    if (mission) this.x.sink.command(mission)
  }

  /** A drone heard from for the first time since a restore: it takes back what it flies and what is promised to it. */
  adopt(d: TrackedDrone): void {
    const link = this.waiting.get(d.id)
    if (!link) return
    this.waiting.delete(d.id)
    d.deliveryId = link.deliveryId
    d.nextId = link.nextId
    const cur = this.current(d)
    if (cur?.status === 'HeadedToDropoff' && !d.nextId) this.finishing.set(d.id, cur.dropoff.lat, cur.dropoff.lon, d)
  }

  /** Drops ended deliveries kept longer than retainTerminalMs before `now`. */
  forgetEnded(now: number): void {
    for (const id of this.retention.due(now)) {
      const rec = this.records.get(id)
      if (rec && isTerminal(rec.status)) this.records.delete(id)
    }
  }

  create(r: Create, now: number): void {
    if (this.records.has(r.id)) return // a redelivered QoS 1 message: already handled
    const rec: DeliveryRecord = {
      id: r.id,
      status: 'Created',
      pickup: r.pickup,
      dropoff: r.dropoff,
      weightKg: r.weightKg,
      deadline: r.deadline,
      createdAt: now,
      droneId: null,
      previousDroneId: null,
      refusedBy: null,
      depot: null,
      dwellStart: null,
      eta: null,
      promised: null,
      plan: null,
    }
    this.records.set(rec.id, rec)
    this.x.counters.deliveriesByStatus.Created++
    this.emit({
      type: 'DeliveryCreated',
      deliveryId: rec.id,
      ts: now,
      pickup: rec.pickup,
      dropoff: rec.dropoff,
      weightKg: rec.weightKg,
      deadline: rec.deadline,
    })
    const refused = this.noFly('pickup', rec.pickup) ?? this.noFly('drop-off', rec.dropoff)
    if (refused) this.fail(rec, now, refused)
    else if (!this.tryAssign(rec, now)) this.queue.push(rec.id)
  }

  /**
   * Cancel before pickup frees the drone (it takes its promised next delivery
   * or flies home). Cancel after pickup: the drone flies the package back to
   * the depot it reaches on the least energy, named in the event; a next delivery promised to it
   * starts once it is idle there.
   */
  cancel(id: string, reason: string, now: number): void {
    const rec = this.records.get(id)
    if (!rec || isTerminal(rec.status)) return
    const d = rec.droneId ? this.x.drones.get(rec.droneId) : undefined
    const loaded = rec.status === 'HeadedToDropoff'
    const returnTo = loaded && d ? this.dispatcher.returnDepot(d, now) : undefined
    if (
      !this.transition(rec, {
        type: 'DeliveryCancelled',
        deliveryId: id,
        ts: now,
        reason,
        ...(returnTo ? { packageReturnsTo: returnTo } : {}),
      })
    )
      return
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
      if (offer) {
        this.start(rec, offer, now)
        return
      }
      this.fail(rec, now, `drone ${d.id}'s battery does not cover the new drop-off (${dropoff.lat}, ${dropoff.lon}) and a depot after it`)
      this.unlink(d, rec, now, true)
      return
    }
    const next = d.nextId === rec.id
    const toDropoff = this.x.routes.route(rec.pickup, dropoff)
    const offer = toDropoff && this.dispatcher.offer(d, rec, toDropoff, now, next ? (this.current(d) ?? null) : null)
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
    // With no drone free and none finishing, no waiting delivery can go, and only deadlines are checked. Without this
    // every clock tick searched the whole fleet once per waiting delivery: 5,000 waiting on 5,000 busy drones took
    // most of the engine's time.
    const noDrone = this.finishing.size === 0 && !this.anyAvailable()
    let kept = 0
    for (const id of this.queue) {
      const rec = this.records.get(id)
      if (rec?.status !== 'Created') continue
      if (noDrone ? !this.failIfLate(rec, now) : !this.tryAssign(rec, now)) this.queue[kept++] = id
    }
    this.queue.length = kept
  }

  private anyAvailable(): boolean {
    for (const d of this.x.drones.values()) if (isAvailable(d)) return true
    return false
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
    // Never offered to this drone again: it would only refuse once more. And its plans get a margin from now on.
    rec.refusedBy = [...(rec.refusedBy ?? []), d.id]
    this.learning.factors.refused(d.id)
    this.unlink(d, rec, now, loaded)
    const why = `drone ${d.id} refused it (its reserve would not cover the trip)`
    if (loaded) this.fail(rec, now, why)
    else this.handOver(rec, now, d.id, why)
  }

  /** Learns from the sample, derives pickup and completion from the drone's position, and publishes its tracking update. */
  follow(d: TrackedDrone): void {
    const rec = d.deliveryId ? this.records.get(d.deliveryId) : undefined
    const open = rec !== undefined && !isTerminal(rec.status)
    this.learning.observe(d, open ? this.courseOf : null, open && rec.status === 'HeadedToDropoff' ? rec.weightKg : 0)
    if (!rec || isTerminal(rec.status)) {
      d.deliveryId = null
      // A drone that flew a cancelled package home starts its promised delivery once idle there.
      if (d.nextId && d.state === 'idle') this.startNext(d, d.ts)
      return
    }
    const plan = rec.plan
    let picking = rec.status === 'HeadedToPickup'
    // Samples this engine never saw (the tick in flight when it was restarted) can hide a whole hover; the mission's
    // order still tells what the drone did: hovering at the drop-off, it carries the package; flying home, it left it.
    if (picking && d.state === 'hover' && this.reached(d, rec.dropoff) && !this.reached(d, rec.pickup)) {
      this.pickedUp(d, rec)
      picking = false
    }
    const target = picking ? rec.pickup : rec.dropoff
    if (plan) {
      const leg = picking ? plan.toPickup : plan.toDropoff
      const last = leg ? leg.waypoints.length - 1 : 0
      // Turning points are passed when flown near; the target is reached by the arrival rule below.
      while (
        leg &&
        plan.next < last &&
        haversineM(d.lat, d.lon, leg.waypoints[plan.next]!.lat, leg.waypoints[plan.next]!.lon) <= this.passM
      )
        plan.next++
    }
    if (this.reached(d, target) && d.state === 'hover') rec.dwellStart ??= d.ts
    const dwellS = rec.dwellStart === null ? 0 : (d.ts - rec.dwellStart) / 1000
    // Handled: hovered there and has now moved on, or (drones that keep to the profile) hovered the full
    // handling time; a drone that failed there has not handed anything over. Or, unseen, the package
    // aboard and the drone on its way home: only the drop-off comes before the depot.
    const departed = d.state !== 'hover'
    const handled = this.x.releaseOn === 'departure' ? departed : departed || dwellS >= this.x.profile.handlingS
    const handed = rec.dwellStart !== null && d.state !== 'failed' && handled
    if (handed || (!picking && d.state === 'returning')) {
      rec.dwellStart = null
      // Only a hover seen from start to end says how long the handling took.
      if (handed && this.x.releaseOn === 'departure') this.learning.handling.observe(picking ? 'pickup' : 'dropoff', dwellS)
      if (picking) this.pickedUp(d, rec)
      else {
        this.transition(rec, { type: 'DeliveryCompleted', deliveryId: rec.id, ts: d.ts, droneId: d.id })
        if (rec.promised) this.x.counters.etaAccuracy.record(rec.promised, d.ts)
        this.learning.calibration.arrived(rec.id, d.ts)
        this.unlink(d, rec, d.ts, false)
      }
    }
    if (isTerminal(rec.status)) rec.eta = null
    else rec.eta = this.eta(rec, d.ts, this.remainingS(d, rec), rec.eta)
    this.x.sink.tracking({
      type: 'tracking',
      deliveryId: rec.id,
      droneId: d.id,
      ts: d.ts,
      position: { lat: d.lat, lon: d.lon, alt: d.alt },
      speed: d.speed,
      heading: d.heading,
      battery: d.battery,
      droneState: d.state,
      status: rec.status,
      eta: rec.eta,
    })
  }

  /** Sends a drone to the depot it reaches on the least energy, abandoning whatever it flies. */
  sendHome(d: TrackedDrone, now: number): void {
    this.x.sink.command({
      type: 'ReturnToDepot',
      commandId: `${this.x.commandIdPrefix}${++this.commandSeq}`,
      droneId: d.id,
      depot: this.dispatcher.returnDepot(d, now),
      issuedAt: now,
    })
  }

  /** Publishes an event that changes no status (geofences). */
  emit(e: DeliveryEvent): void {
    this.x.sink.event(e)
  }

  private pickedUp(d: TrackedDrone, rec: DeliveryRecord): void {
    this.transition(rec, { type: 'PackagePickedUp', deliveryId: rec.id, ts: d.ts, droneId: d.id })
    if (rec.plan) Object.assign(rec.plan, { toPickup: null, next: 0 })
    if (!d.nextId) this.finishing.set(d.id, rec.dropoff.lat, rec.dropoff.lon, d)
  }

  private reached(d: TrackedDrone, p: LatLon): boolean {
    return haversineM(d.lat, d.lon, p.lat, p.lon) <= this.x.arrivalM
  }

  private current(d: TrackedDrone): DeliveryRecord | undefined {
    return d.deliveryId ? this.records.get(d.deliveryId) : undefined
  }

  private noFly(what: string, p: LatLon): string | undefined {
    const z = this.x.geofences.noFlyAt(p.lat, p.lon)
    return z && `the ${what} (${p.lat}, ${p.lon}) lies inside no-fly zone "${z.name ?? z.id}"`
  }

  /** Assigns `rec` if a drone can take it now; fails it if none ever can in time; false to keep it queued. */
  /** Fails `rec` when even the soonest trip would miss its deadline; whether it did. */
  private failIfLate(rec: DeliveryRecord, now: number): boolean {
    if (rec.deadline === null || this.dispatcher.soonestRelease(rec, now) <= rec.deadline) return false
    this.fail(rec, now, `it can no longer be delivered by its deadline ${new Date(rec.deadline).toISOString()}`)
    return true
  }

  private tryAssign(rec: DeliveryRecord, now: number): boolean {
    if (this.failIfLate(rec, now)) return true
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
    // The dispatcher's estimate is a plan's, not the tracking model's: it is given a window but does not teach one.
    rec.eta = this.eta(rec, now, (offer.release - now) / 1000, null, false)
  }

  /**
   * The ETA to publish for a model estimate `remainingS` from `now`, after
   * `prev`. Once the engine has seen enough arrivals (EtaCalibration), the
   * estimate is corrected by the model's median error at that phase and time
   * to arrival, smoothed against the previous one, and given the window of
   * the published ETAs' own 10th to 90th percentile errors; before that, the
   * prior band (etaFrom), smoothed. Both estimates are recorded, to learn
   * their errors when the delivery arrives.
   */
  private eta(rec: DeliveryRecord, now: number, remainingS: number, prev: Eta | null = null, learn = true): Eta {
    const phase: EtaPhase = rec.status === 'HeadedToDropoff' ? 'toDropoff' : 'toPickup'
    const cal = this.learning.calibration
    const estimate = now + remainingS * 1000
    if (learn) cal.estimated(rec.id, 'model', phase, now, estimate)
    const model = cal.quantiles('model', phase, remainingS)
    const corrected = model ? Math.max(now, estimate + model.bias * 1000) : estimate
    const band = smoothEta(prev, etaFrom(now, (corrected - now) / 1000), now)
    if (learn) cal.estimated(rec.id, 'published', phase, now, band.at)
    const q = cal.quantiles('published', phase, (band.at - now) / 1000)
    if (!q) return band
    return {
      at: band.at,
      p10: Math.round(Math.min(band.at, Math.max(now, band.at + q.lo * 1000))),
      p90: Math.round(Math.max(band.at, band.at + q.hi * 1000)),
    }
  }

  /** The course of a drone flying an open delivery, for learning (asked only when an air observation is due). */
  private readonly courseOf = (d: TrackedDrone): number | null => {
    const rec = this.current(d)
    return rec && !isTerminal(rec.status) ? this.course(d, rec) : null
  }

  /**
   * The direction a cruising drone is making good (degrees), for learning the
   * wind: toward its plan's next waypoint, when that is far enough ahead (and
   * the last one far enough behind) for the bearing to be its track.
   */
  private course(d: TrackedDrone, rec: DeliveryRecord): number | null {
    const plan = rec.plan
    if (d.state !== 'cruise' || !plan) return null
    const leg = rec.status === 'HeadedToPickup' ? plan.toPickup : plan.toDropoff
    const wp = leg?.waypoints[plan.next]
    if (!leg || !wp || haversineM(d.lat, d.lon, wp.lat, wp.lon) < COURSE_CLEAR_M) return null
    const before = plan.next > 0 ? leg.waypoints[plan.next - 1] : undefined
    if (before && haversineM(d.lat, d.lon, before.lat, before.lon) < COURSE_CLEAR_M) return null
    const e = (((wp.lon - d.lon + 540) % 360) - 180) * mPerDegLon((wp.lat + d.lat) / 2)
    const n = (wp.lat - d.lat) * M_PER_DEG
    return ((Math.atan2(e, n) * 180) / Math.PI + 360) % 360
  }

  /** Plans and sends the drone its mission now. */
  private start(rec: DeliveryRecord, offer: Offer, now: number): void {
    const d = offer.drone
    this.plan(rec, offer, now)
    d.deliveryId = rec.id
    const loaded = rec.status === 'HeadedToDropoff'
    if (loaded && !d.nextId) this.finishing.set(d.id, rec.dropoff.lat, rec.dropoff.lon, d)
    const turns = (r: { waypoints: LatLon[] }): LatLon[] => r.waypoints.slice(0, -1)
    const mission: Assign = {
      type: 'AssignDelivery',
      commandId: `${this.x.commandIdPrefix}${++this.commandSeq}`,
      droneId: d.id,
      deliveryId: rec.id,
      pickup: loaded ? { lat: d.lat, lon: d.lon } : rec.pickup,
      dropoff: rec.dropoff,
      depot: offer.depot,
      payloadKg: rec.weightKg,
      issuedAt: now,
      ...(loaded ? { loaded: true } : {}),
      via: { pickup: loaded ? [] : turns(offer.toPickup), dropoff: turns(offer.toDropoff), depot: turns(offer.back) },
    }
    this.missions.set(rec.id, mission)
    this.x.sink.command(mission)
  }

  /** The drone released its package: it starts the delivery promised to it, if any. */
  private startNext(d: TrackedDrone, now: number): void {
    const rec = d.nextId ? this.records.get(d.nextId) : undefined
    d.nextId = null
    if (rec?.status !== 'HeadedToPickup' || rec.droneId !== d.id) return
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

  /**
   * The model's seconds to release: the planned routes flown at the drone's
   * learned airspeed in the learned wind (sampled along the way as it is now),
   * the learned handling times (at the target: what is left of it, given how
   * long it has hovered).
   */
  private remainingS(d: TrackedDrone, rec: DeliveryRecord): number {
    const picking = rec.status === 'HeadedToPickup'
    const plan = rec.plan
    const dwellS = rec.dwellStart === null ? 0 : (d.ts - rec.dwellStart) / 1000
    const leg = plan ? (picking ? plan.toPickup : plan.toDropoff) : null
    const target = picking ? rec.pickup : rec.dropoff
    const p = this.learning.profileOf(d.id)
    const wind = this.learning.windField()
    const next = leg ? plan!.next : 0
    const route = leg ?? { waypoints: [target], rest: [0], lengthM: 0, airPerM: 1 }
    const h = this.learning.handling
    // One object per estimate, filled in place: this runs for every sample of every drone flying a delivery.
    const input: EtaInput = {
      lat: d.lat,
      lon: d.lon,
      alt: d.alt,
      state: d.state,
      leg: wind ? inWind(wind, p, d, route, next, d.ts) : route,
      next,
      // biome-ignore lint/suspicious/noThenProperty: a plan's next leg, never awaited
      then: null,
      handlingLeftS: h.remaining(picking ? 'pickup' : 'dropoff', dwellS),
      thenHandlingS: h.mean('dropoff'),
    }
    if (picking) {
      const loaded = plan?.toDropoff ?? {
        waypoints: [rec.dropoff],
        rest: [0],
        lengthM: haversineM(rec.pickup.lat, rec.pickup.lon, rec.dropoff.lat, rec.dropoff.lon),
        airPerM: 1,
      }
      // The loaded leg is weighed when the drone will fly it: after this leg, the handling and the climb.
      const startS = wind ? legSeconds(p, input, this.x.arrivalM) + input.handlingLeftS + climbSeconds(p) : 0
      // biome-ignore lint/suspicious/noThenProperty: a plan's next leg, never awaited
      input.then = wind ? inWind(wind, p, rec.pickup, loaded, 0, d.ts + startS * 1000) : loaded
    }
    return remainingSeconds(p, input, this.x.arrivalM)
  }

  private fail(rec: DeliveryRecord, now: number, reason: string): void {
    this.transition(rec, { type: 'DeliveryFailed', deliveryId: rec.id, ts: now, reason })
  }

  /** Applies an event through the state machine and publishes it; false when not allowed. */
  private transition(rec: DeliveryRecord, e: DeliveryEvent): boolean {
    const next = nextStatus(rec.status, e.type)
    if (next === undefined) return false
    this.x.counters.moved(rec.status, next)
    rec.status = next
    if (isTerminal(next)) {
      this.missions.delete(rec.id)
      this.retention.ended(rec.id, e.ts)
      if (next !== 'Completed') this.learning.calibration.forget(rec.id)
    }
    this.emit(e)
    return true
  }
}

/** Route `r` flown from `from` toward its waypoint `k`, with its air metres per ground metre in `wind` from time `at` on. */
function inWind(wind: WindField, p: DroneProfile, from: LatLon, r: Route, k: number, at: number): Route {
  return { ...r, airPerM: airPerGroundM(wind, p.cruiseSpeedMps, from, r.waypoints, at, SAMPLE_M, k) }
}
