import { haversineM, type LatLon } from '../protocol/geo.js'
import { climbSeconds, cruiseEnergyWh, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'
import { metresLeft } from './estimateEta.js'
import type { FleetIndex } from './FleetIndex.js'
import { airPerGroundM, type WindField } from './groundSpeed.js'
import type { DeliveryRecord, TrackedDrone } from './records.js'
import type { Route, RoutePlanner } from './RoutePlanner.js'
import { batteryCovers, planLegs } from './tripPlan.js'

/** A drone's bid for a delivery: the routes it would fly and when it would be at the pickup and the drop-off. */
export interface Offer {
  drone: TrackedDrone
  /** The delivery it is finishing first, or null for a drone that can go now. */
  after: DeliveryRecord | null
  toPickup: Route
  toDropoff: Route
  back: Route
  depot: LatLon
  /** Event times: at the pickup, and releasing the package at the drop-off. */
  atPickup: number
  release: number
}

/** No offer: `reason` when the delivery can never be served as asked; `wait` when no drone can take it now. */
export type Decision = { offer: Offer } | { reason: string } | { wait: true }

export interface DispatcherDeps {
  profile: DroneProfile
  depots: LatLon[]
  arrivalM: number
  routes: RoutePlanner
  wind: WindField | undefined
  /** Every drone; available ones are found through `isAvailable`. */
  fleet: FleetIndex<TrackedDrone>
  /** Drones flying a loaded delivery with nothing promised after it, placed at that delivery's drop-off. */
  finishing: FleetIndex<TrackedDrone>
  isAvailable(d: TrackedDrone): boolean
  /** The delivery a drone is flying. */
  current(d: TrackedDrone): DeliveryRecord | undefined
  /** How far ahead a finishing drone may be promised its next delivery, ms. */
  soonMs: number
}

/** Nearest available drones checked per request, and nearest finishing ones. */
const IDLE_CANDIDATES = 16
const FINISHING_CANDIDATES = 8

/**
 * "Soonest" dispatch: among available drones and drones about to release a
 * package nearby, the feasible one that can be at the pickup first, routes
 * around no-fly zones and wind included. Feasible: the payload fits and the
 * battery covers position → pickup → drop-off → nearest depot with the
 * reserve (for a finishing drone, after what its current delivery still costs).
 */
export class Dispatcher {
  constructor(private readonly x: DispatcherDeps) {}

  decide(rec: DeliveryRecord, now: number, exclude: readonly string[] = []): Decision {
    const { profile: p } = this.x
    if (rec.weightKg > p.maxPayloadKg) return { reason: `package of ${rec.weightKg} kg exceeds the drones' ${p.maxPayloadKg} kg payload` }
    const toDropoff = this.x.routes.route(rec.pickup, rec.dropoff)
    if (!toDropoff) return { reason: 'no route from the pickup to the drop-off avoids the no-fly zones' }
    toDropoff.airPerM = airPerGroundM(this.x.wind, p.cruiseSpeedMps, rec.pickup, toDropoff.waypoints, now)
    // Candidates in order of a lower bound on their arrival at the pickup (straight legs; in still
    // air only, a tailwind could beat it): routed offers are made until no bound can beat the best.
    const climbMs = 2 * climbSeconds(p) * 1000
    const bound = (startAt: number, straightM: number): number =>
      this.x.wind ? startAt : startAt + (straightM < this.x.arrivalM ? 0 : climbMs + (straightM / p.cruiseSpeedMps) * 1000)
    const candidates: Array<{ d: TrackedDrone; after: DeliveryRecord | null; bound: number }> = []
    const { lat, lon } = rec.pickup
    // The least battery any idle drone needs for this trip (already at the pickup, straight home; in still
    // air only): drones below it are passed over in the search, so that a hub's drones that are still
    // charging do not fill the k nearest while charged ones at the same spot wait.
    // Without depots a drone goes home to where it started, which may be at the drop-off: no flight home counted.
    const home = this.x.depots.length > 0 ? this.depotFor(rec.dropoff, rec.pickup) : rec.dropoff
    const least = this.x.wind ? 0 : leastBattery(p, toDropoff.lengthM, haversineM(rec.dropoff.lat, rec.dropoff.lon, home.lat, home.lon), rec.weightKg)
    if (least > 1) {
      return { reason: `even a full drone waiting at the pickup could not fly to the drop-off and back to a depot with its reserve (it needs ${Math.round(least * 100)}% of a battery)` }
    }
    // Nor can a drone farther from the pickup than a full battery's spare energy carries it empty.
    const reachM = this.x.wind ? Infinity : ((1 - least) * p.batteryWh * 1000) / cruiseEnergyWh(p, 1000, 0)
    const idle = (d: TrackedDrone): boolean => d.battery >= least && this.x.isAvailable(d) && !exclude.includes(d.id) && !rec.refusedBy?.includes(d.id)
    for (const { item: d, distanceM } of this.x.fleet.nearest(lat, lon, IDLE_CANDIDATES, idle, reachM)) {
      candidates.push({ d, after: null, bound: bound(now, distanceM) })
    }
    for (const { item: d, distanceM } of this.x.finishing.nearest(lat, lon, FINISHING_CANDIDATES, (d) => !exclude.includes(d.id) && !rec.refusedBy?.includes(d.id))) {
      const cur = this.x.current(d)
      if (cur?.eta && cur.eta.at - now <= this.x.soonMs) candidates.push({ d, after: cur, bound: bound(Math.max(now, cur.eta.at), distanceM) })
    }
    candidates.sort((a, b) => a.bound - b.bound)
    const backs = new Map<LatLon, Route | undefined>()
    let best: Offer | undefined
    for (const c of candidates) {
      if (best && c.bound >= best.atPickup) break
      const o = this.offer(c.d, rec, toDropoff, now, c.after, backs)
      if (o && (!best || o.atPickup < best.atPickup)) best = o
    }
    if (!best) return { wait: true }
    if (rec.deadline !== null && best.release > rec.deadline) {
      return { reason: `the soonest drone (${best.drone.id}) would release it at ${iso(best.release)}, after its deadline ${iso(rec.deadline)}` }
    }
    return { offer: best }
  }

  /**
   * What `d` would do for `rec`, from where it is, or from the drop-off of
   * `after` once it has released that package; undefined when it cannot.
   */
  offer(d: TrackedDrone, rec: DeliveryRecord, toDropoff: Route, now: number, after: DeliveryRecord | null = null, backs?: Map<LatLon, Route | undefined>): Offer | undefined {
    const { profile: p, routes, wind } = this.x
    const from = after ? after.dropoff : d
    const startAt = after?.eta ? Math.max(now, after.eta.at) : now
    const battery = after ? d.battery - this.costToFinishWh(d, after) / p.batteryWh : d.battery
    const depot = this.depotFor(rec.dropoff, d)
    // Straight legs are the least a trip can cost in still air: a battery short of that needs no routing.
    if (!wind) {
      const straight = planLegs(p, {
        toPickupM: haversineM(from.lat, from.lon, rec.pickup.lat, rec.pickup.lon), loadedM: toDropoff.lengthM,
        backM: haversineM(rec.dropoff.lat, rec.dropoff.lon, depot.lat, depot.lon), atPickup: false,
      }, rec.weightKg)
      if (!batteryCovers(p, battery, { energyWh: straight.energyWh - hoverEnergyWh(p, 2 * climbSeconds(p)) })) return undefined
    }
    const toPickup = routes.route(from, rec.pickup)
    let back = backs?.get(depot)
    if (!back) {
      back = routes.route(rec.dropoff, depot)
      backs?.set(depot, back)
    }
    if (!toPickup || !back) return undefined
    toPickup.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, from, toPickup.waypoints, startAt)
    back.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, rec.dropoff, back.waypoints, startAt)
    const atPickup = toPickup.lengthM < this.x.arrivalM
    const plan = planLegs(p, {
      toPickupM: toPickup.lengthM * toPickup.airPerM, loadedM: toDropoff.lengthM * toDropoff.airPerM, backM: back.lengthM * back.airPerM, atPickup,
    }, rec.weightKg)
    if (!batteryCovers(p, battery, plan)) return undefined
    const climb = climbSeconds(p)
    const toPickupS = atPickup ? 0 : 2 * climb + (toPickup.lengthM * toPickup.airPerM) / p.cruiseSpeedMps
    const loadedS = 2 * p.handlingS + 2 * climb + (toDropoff.lengthM * toDropoff.airPerM) / p.cruiseSpeedMps
    const arrive = startAt + toPickupS * 1000
    return { drone: d, after, toPickup, toDropoff, back, depot, atPickup: arrive, release: arrive + loadedS * 1000 }
  }

  /** What a drone with the package aboard would do to reach a (new) drop-off from where it is; undefined when it cannot. */
  loadedOffer(d: TrackedDrone, rec: DeliveryRecord, now: number): Offer | undefined {
    const { profile: p, routes, wind } = this.x
    const toDropoff = routes.route(d, rec.dropoff)
    const depot = this.depotFor(rec.dropoff, d)
    const back = routes.route(rec.dropoff, depot)
    if (!toDropoff || !back) return undefined
    toDropoff.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, d, toDropoff.waypoints, now)
    back.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, rec.dropoff, back.waypoints, now)
    // Planned as if loading where it is: one handling and one climb too many, on the safe side.
    const plan = planLegs(p, { toPickupM: 0, loadedM: toDropoff.lengthM * toDropoff.airPerM, backM: back.lengthM * back.airPerM, atPickup: true }, rec.weightKg)
    if (!batteryCovers(p, d.battery, plan)) return undefined
    const here = { lat: d.lat, lon: d.lon }
    const releaseS = (toDropoff.lengthM * toDropoff.airPerM) / p.cruiseSpeedMps + climbSeconds(p) + p.handlingS
    return {
      drone: d, after: null, toPickup: { waypoints: [here], rest: [0], lengthM: 0, airPerM: 1 }, toDropoff, back, depot,
      atPickup: now, release: now + releaseS * 1000,
    }
  }

  /** The earliest a delivery could be released if a drone were waiting at its pickup now, ms: a bound no dispatch can beat. */
  soonestRelease(rec: DeliveryRecord, now: number): number {
    const p = this.x.profile
    const loadedM = haversineM(rec.pickup.lat, rec.pickup.lon, rec.dropoff.lat, rec.dropoff.lon)
    return now + (2 * p.handlingS + 2 * climbSeconds(p) + loadedM / p.cruiseSpeedMps) * 1000
  }

  /** The depot nearest the drop-off; without known depots, where the drone is now. */
  depotFor(dropoff: LatLon, d: LatLon): LatLon {
    let best: LatLon = { lat: d.lat, lon: d.lon }
    let bestM = Infinity
    for (const depot of this.x.depots) {
      const m = haversineM(dropoff.lat, dropoff.lon, depot.lat, depot.lon)
      if (m < bestM) [best, bestM] = [depot, m]
    }
    return best
  }

  /** Energy a loaded drone still needs to release its current package: the rest of the route, the descent, the handling. */
  private costToFinishWh(d: TrackedDrone, cur: DeliveryRecord): number {
    const p = this.x.profile
    const plan = cur.plan
    const left = plan ? metresLeft(plan.toDropoff, plan.next, d.lat, d.lon) * plan.toDropoff.airPerM : haversineM(d.lat, d.lon, cur.dropoff.lat, cur.dropoff.lon)
    return cruiseEnergyWh(p, left, cur.weightKg) + hoverEnergyWh(p, climbSeconds(p) + p.handlingS)
  }
}

function iso(t: number): string {
  return new Date(t).toISOString()
}

/** The battery (0..1) a drone waiting at the pickup needs to fly `loadedM`, then `backM` home, and keep the reserve: a lower bound for any drone. */
function leastBattery(p: DroneProfile, loadedM: number, backM: number, payloadKg: number): number {
  const plan = planLegs(p, { toPickupM: 0, loadedM, backM, atPickup: true }, payloadKg)
  return plan.energyWh / p.batteryWh + p.reserve
}
