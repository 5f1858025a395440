import { haversineM, type LatLon } from '../protocol/geo.js'
import { climbSeconds, cruiseEnergyWh, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'
import { metresLeft } from './estimateEta.js'
import type { FleetView } from './FleetView.js'
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
  /** The wind to plan with now (what the engine has learned); undefined while none is known, for the still-air paths. */
  wind: () => WindField | undefined
  /**
   * The profile a drone's flights are planned with (its learned factors; `null`: the fleet's);
   * `cautious`: the one its energy is judged with (the low end of its airspeed, see FleetLearning.profileOf).
   */
  profileOf: (droneId: string | null, cautious?: boolean) => DroneProfile
  /** Where the free and the finishing drones are, read-only. */
  fleet: FleetView
  /** How far ahead a finishing drone may be promised its next delivery, ms. */
  soonMs: number
}

/** Nearest available drones checked per request, and nearest finishing ones. */
const IDLE_CANDIDATES = 16
const FINISHING_CANDIDATES = 8
/** Depots weighed for the way home in wind, nearest first. */
const HOME_CANDIDATES = 8
/** In a wind that varies from place to place, it is sampled along a route at least this often, m. */
const SAMPLE_M = 1000

/** The way home after a drop-off: the depot and the route there. */
export interface Home {
  depot: LatLon
  back: Route
}

/**
 * "Soonest" dispatch: among available drones and drones about to release a
 * package nearby, the feasible one that can be at the pickup first, routes
 * around no-fly zones and wind included. Feasible: the payload fits and the
 * battery covers position → pickup → drop-off → the depot cheapest to reach
 * with the reserve (for a finishing drone, after what its current delivery
 * still costs). A delivery that even a full drone waiting at the pickup
 * could not fly, in still air or in this wind, fails at once with the energy
 * it needs.
 */
export class Dispatcher {
  constructor(private readonly x: DispatcherDeps) {}

  decide(rec: DeliveryRecord, now: number, exclude: readonly string[] = []): Decision {
    const p = this.x.profileOf(null)
    const wind = this.x.wind()
    if (rec.weightKg > p.maxPayloadKg) return { reason: `package of ${rec.weightKg} kg exceeds the drones' ${p.maxPayloadKg} kg payload` }
    const toDropoff = this.x.routes.route(rec.pickup, rec.dropoff)
    if (!toDropoff) return { reason: 'no route from the pickup to the drop-off avoids the no-fly zones' }
    toDropoff.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, rec.pickup, toDropoff.waypoints, now, SAMPLE_M)
    // Candidates in order of a lower bound on their arrival at the pickup (straight legs; in still
    // air only, a tailwind could beat it): routed offers are made until no bound can beat the best.
    const climbMs = 2 * climbSeconds(p) * 1000
    const bound = (startAt: number, straightM: number): number =>
      wind ? startAt : startAt + (straightM < this.x.arrivalM ? 0 : climbMs + (straightM / p.cruiseSpeedMps) * 1000)
    const candidates: Array<{ d: TrackedDrone; after: DeliveryRecord | null; bound: number }> = []
    const { lat, lon } = rec.pickup
    // The least battery any idle drone needs for this trip (already at the pickup, then home, in the wind
    // of now): drones below it are passed over in the search, so that a hub's drones that are still
    // charging do not fill the k nearest while charged ones at the same spot wait.
    // Without depots a drone goes home to where it started, which may be at the drop-off: no flight home counted.
    // With depots the way home is the same for every drone: the depot it takes the least energy to reach from the drop-off.
    const home = this.x.depots.length > 0 ? this.home(rec.dropoff, rec.dropoff, now) : null
    if (home === undefined)
      return {
        reason: `no depot can be reached from the drop-off (${rec.dropoff.lat}, ${rec.dropoff.lon}): no route avoids the no-fly zones`,
      }
    // If even a full drone could not, no drone ever can in this wind: the delivery fails now, not at its deadline.
    const least = leastBattery(p, toDropoff.lengthM * toDropoff.airPerM, home ? home.back.lengthM * home.back.airPerM : 0, rec.weightKg)
    if (least > 1) {
      const usable = Math.round(p.batteryWh * (1 - p.reserve))
      const needWh = Math.round((least - p.reserve) * p.batteryWh)
      return {
        reason:
          `even a full drone waiting at the pickup could not fly to the drop-off and back to a depot${wind ? ' in this wind' : ''} with its reserve ` +
          `(it needs ${Math.round(least * 100)}% of a battery: ${needWh} Wh, and a full one has ${usable} Wh above its ${Math.round(p.reserve * 100)}% reserve)`,
      }
    }
    // Nor can a drone farther from the pickup than a full battery's spare energy carries it empty.
    const reachM = wind ? Infinity : ((1 - least) * p.batteryWh * 1000) / cruiseEnergyWh(p, 1000, 0)
    const idle = (d: TrackedDrone): boolean => d.battery >= least && !exclude.includes(d.id) && !rec.refusedBy?.includes(d.id)
    for (const { item: d, distanceM } of this.x.fleet.nearestAvailable(lat, lon, IDLE_CANDIDATES, idle, reachM)) {
      candidates.push({ d, after: null, bound: bound(now, distanceM) })
    }
    for (const { item: d, distanceM } of this.x.fleet.nearestFinishing(
      lat,
      lon,
      FINISHING_CANDIDATES,
      (d) => !exclude.includes(d.id) && !rec.refusedBy?.includes(d.id),
    )) {
      const cur = this.x.fleet.current(d)
      if (cur?.eta && cur.eta.at - now <= this.x.soonMs)
        candidates.push({ d, after: cur, bound: bound(Math.max(now, cur.eta.at), distanceM) })
    }
    candidates.sort((a, b) => a.bound - b.bound)
    let best: Offer | undefined
    for (const c of candidates) {
      if (best && c.bound >= best.atPickup) break
      const o = this.offer(c.d, rec, toDropoff, now, c.after, home)
      if (o && (!best || o.atPickup < best.atPickup)) best = o
    }
    if (!best) return { wait: true }
    if (rec.deadline !== null && best.release > rec.deadline) {
      return {
        reason: `the soonest drone (${best.drone.id}) would release it at ${iso(best.release)}, after its deadline ${iso(rec.deadline)}`,
      }
    }
    return { offer: best }
  }

  /**
   * What `d` would do for `rec`, from where it is, or from the drop-off of
   * `after` once it has released that package; undefined when it cannot.
   * `home`: the way from the drop-off to a depot, when the caller knows it.
   */
  offer(
    d: TrackedDrone,
    rec: DeliveryRecord,
    toDropoff: Route,
    now: number,
    after: DeliveryRecord | null = null,
    home: Home | null = null,
  ): Offer | undefined {
    const { routes } = this.x
    const wind = this.x.wind()
    const p = this.x.profileOf(d.id)
    // Times are planned with the drone's learned airspeed, energy with the low end of it.
    const pe = this.x.profileOf(d.id, true)
    const from = after ? after.dropoff : d
    const startAt = after?.eta ? Math.max(now, after.eta.at) : now
    const battery = after ? d.battery - this.costToFinishWh(d, after) / pe.batteryWh : d.battery
    const h = home ?? this.home(rec.dropoff, d, now)
    if (!h) return undefined
    const depot = h.depot
    // Straight legs are the least a trip can cost in still air: a battery short of that needs no routing.
    if (!wind) {
      const straight = planLegs(
        pe,
        {
          toPickupM: haversineM(from.lat, from.lon, rec.pickup.lat, rec.pickup.lon),
          loadedM: toDropoff.lengthM,
          backM: haversineM(rec.dropoff.lat, rec.dropoff.lon, depot.lat, depot.lon),
          atPickup: false,
        },
        rec.weightKg,
      )
      if (!batteryCovers(pe, battery, { energyWh: straight.energyWh - hoverEnergyWh(pe, 2 * climbSeconds(pe)) })) return undefined
    }
    const toPickup = routes.route(from, rec.pickup)
    if (!toPickup) return undefined
    toPickup.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, from, toPickup.waypoints, startAt, SAMPLE_M)
    const atPickup = toPickup.lengthM < this.x.arrivalM
    const climb = climbSeconds(p)
    const toPickupS = atPickup ? 0 : 2 * climb + (toPickup.lengthM * toPickup.airPerM) / p.cruiseSpeedMps
    const arrive = startAt + toPickupS * 1000
    // In wind, each leg is weighed at this drone's airspeed and when it will fly it; in still air the shared legs hold.
    const loaded: Route = wind
      ? {
          ...toDropoff,
          airPerM: airPerGroundM(wind, p.cruiseSpeedMps, rec.pickup, toDropoff.waypoints, arrive + (p.handlingS + climb) * 1000, SAMPLE_M),
        }
      : toDropoff
    const loadedS = 2 * p.handlingS + 2 * climb + (loaded.lengthM * loaded.airPerM) / p.cruiseSpeedMps
    const release = arrive + loadedS * 1000
    const back: Route = wind
      ? { ...h.back, airPerM: airPerGroundM(wind, p.cruiseSpeedMps, rec.dropoff, h.back.waypoints, release + climb * 1000, SAMPLE_M) }
      : h.back
    // Air metres at the cautious airspeed: into a headwind a slower drone flies more of them.
    const airM = (r: Route, start: LatLon, t: number): number =>
      r.lengthM * (wind ? airPerGroundM(wind, pe.cruiseSpeedMps, start, r.waypoints, t, SAMPLE_M) : 1)
    const plan = planLegs(
      pe,
      {
        toPickupM: airM(toPickup, from, startAt),
        loadedM: airM(loaded, rec.pickup, arrive + (p.handlingS + climb) * 1000),
        backM: airM(back, rec.dropoff, release + climb * 1000),
        atPickup,
      },
      rec.weightKg,
    )
    if (!batteryCovers(pe, battery, plan)) return undefined
    return { drone: d, after, toPickup, toDropoff: loaded, back, depot, atPickup: arrive, release }
  }

  /** What a drone with the package aboard would do to reach a (new) drop-off from where it is; undefined when it cannot. */
  loadedOffer(d: TrackedDrone, rec: DeliveryRecord, now: number): Offer | undefined {
    const { routes } = this.x
    const wind = this.x.wind()
    const p = this.x.profileOf(d.id)
    const pe = this.x.profileOf(d.id, true)
    const toDropoff = routes.route(d, rec.dropoff)
    const home = this.home(rec.dropoff, d, now)
    if (!toDropoff || !home) return undefined
    const { depot, back } = home
    toDropoff.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, d, toDropoff.waypoints, now, SAMPLE_M)
    // Energy at the low end of its airspeed (see offer), as if loading where it is: one handling and one climb too many, on the safe side.
    const airM = (r: Route, start: LatLon): number =>
      r.lengthM * (wind ? airPerGroundM(wind, pe.cruiseSpeedMps, start, r.waypoints, now, SAMPLE_M) : 1)
    const plan = planLegs(pe, { toPickupM: 0, loadedM: airM(toDropoff, d), backM: airM(back, rec.dropoff), atPickup: true }, rec.weightKg)
    if (!batteryCovers(pe, d.battery, plan)) return undefined
    const here = { lat: d.lat, lon: d.lon }
    const releaseS = (toDropoff.lengthM * toDropoff.airPerM) / p.cruiseSpeedMps + climbSeconds(p) + p.handlingS
    return {
      drone: d,
      after: null,
      toPickup: { waypoints: [here], rest: [0], lengthM: 0, airPerM: 1 },
      toDropoff,
      back,
      depot,
      atPickup: now,
      release: now + releaseS * 1000,
    }
  }

  /** The earliest a delivery could be released if a drone were waiting at its pickup now, ms: a bound no dispatch can beat. */
  soonestRelease(rec: DeliveryRecord, now: number): number {
    const p = this.x.profileOf(null)
    const loadedM = haversineM(rec.pickup.lat, rec.pickup.lon, rec.dropoff.lat, rec.dropoff.lon)
    return now + (2 * p.handlingS + 2 * climbSeconds(p) + loadedM / p.cruiseSpeedMps) * 1000
  }

  /**
   * The depot a drone at `from` gets to on the least energy, with the route
   * there (its air metres per ground metre at time t): in wind the nearest
   * depot can be the dearest, upwind, while one farther downwind is cheap.
   * In still air the energy is the routed length, so depots are tried
   * nearest first and the search stops where a straight line already costs
   * more than the best; in wind the HOME_CANDIDATES nearest are weighed.
   * Without known depots a drone goes back to `fallback` (where it is).
   * Undefined when no depot can be reached (no route avoids the zones).
   */
  home(from: LatLon, fallback: LatLon, t: number): Home | undefined {
    const { profile: p, routes } = this.x
    const wind = this.x.wind()
    if (this.x.depots.length === 0) {
      const depot = { lat: fallback.lat, lon: fallback.lon }
      const back = routes.route(from, depot)
      if (back) back.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, from, back.waypoints, t, SAMPLE_M)
      return back && { depot, back }
    }
    const byDistance = this.x.depots
      .map((depot) => ({ depot, m: haversineM(from.lat, from.lon, depot.lat, depot.lon) }))
      .sort((a, b) => a.m - b.m)
    let best: Home | undefined
    let bestCost = Infinity
    for (const [k, { depot, m }] of byDistance.entries()) {
      if (wind ? k >= HOME_CANDIDATES : m >= bestCost) break
      const back = routes.route(from, depot)
      if (!back) continue
      back.airPerM = airPerGroundM(wind, p.cruiseSpeedMps, from, back.waypoints, t, SAMPLE_M)
      // Air metres: the energy of the flight home, but for the climb and descent that every depot costs alike.
      const cost = back.lengthM * back.airPerM
      if (cost < bestCost) [best, bestCost] = [{ depot, back }, cost]
    }
    return best
  }

  /** Where a drone at `p` is sent home to: the depot cheapest to reach, else the nearest, else where it is. */
  returnDepot(p: LatLon, now: number): LatLon {
    const h = this.home(p, p, now)
    if (h) return h.depot
    let best: LatLon = { lat: p.lat, lon: p.lon }
    let bestM = Infinity
    for (const depot of this.x.depots) {
      const m = haversineM(p.lat, p.lon, depot.lat, depot.lon)
      if (m < bestM) [best, bestM] = [depot, m]
    }
    return best
  }

  /** Energy a loaded drone still needs to release its current package: the rest of the route, the descent, the handling. */
  private costToFinishWh(d: TrackedDrone, cur: DeliveryRecord): number {
    const p = this.x.profileOf(d.id, true)
    const plan = cur.plan
    const left = plan
      ? metresLeft(plan.toDropoff, plan.next, d.lat, d.lon) * plan.toDropoff.airPerM
      : haversineM(d.lat, d.lon, cur.dropoff.lat, cur.dropoff.lon)
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
