import { haversineM, type LatLon, type Zone } from '../protocol/geo.js'
import type { NaiveEtas, NaiveInput } from '../protocol/NaiveEtas.js'
import { climbSeconds, type DroneProfile } from '../protocol/profile.js'
import { etaFrom } from './estimateEta.js'
import { Geofences } from './Geofences.js'
import { RoutePlanner } from './RoutePlanner.js'

/** Horizontal distance at which a drone is at its target (the engine's default arrivalRadiusM). */
const ARRIVAL_M = 30

/**
 * Two estimators with no learning, no wind and nothing but the profile, so
 * that a run shows what the engine's ETA is worth:
 * - `straightLine`: straight lines at cruise speed from where the drone is,
 *   through the pickup if it is still to come, to the drop-off, with the
 *   profile's climbs, descents and handling times;
 * - `stillAirRoute`: the same along the routes round the no-fly zones (the
 *   engine's planner), still at cruise speed in still air.
 * Both carry the fixed prior band (−(8 % + 5 s), +(15 % + 10 s) of the time
 * left) as their window: what the engine's window was before it learned.
 */
export function naiveEtas(p: DroneProfile, zones: readonly Zone[]): NaiveEtas {
  const fences = new Geofences()
  for (const z of zones) fences.set(z)
  const planner = new RoutePlanner(fences)
  const routed = (a: LatLon, b: LatLon): number => planner.route(a, b)?.lengthM ?? haversineM(a.lat, a.lon, b.lat, b.lon)
  const straight = (a: LatLon, b: LatLon): number => haversineM(a.lat, a.lon, b.lat, b.lon)
  // The loaded leg is the same for every message of a delivery: routed once.
  const loaded = new Map<string, number>()
  const loadedM = (x: NaiveInput): number => {
    const key = `${x.pickup.lat},${x.pickup.lon},${x.dropoff.lat},${x.dropoff.lon}`
    let m = loaded.get(key)
    if (m === undefined) {
      if (loaded.size > 10_000) loaded.clear()
      loaded.set(key, (m = routed(x.pickup, x.dropoff)))
    }
    return m
  }
  const seconds = (x: NaiveInput, length: (a: LatLon, b: LatLon) => number, loadedLegM: () => number): number => {
    const target = x.picking ? x.pickup : x.dropoff
    const left = length(x.position, target)
    const airborne = x.droneState === 'cruise' || x.droneState === 'returning'
    let s =
      haversineM(x.position.lat, x.position.lon, target.lat, target.lon) <= ARRIVAL_M
        ? x.position.alt / p.climbRateMps
        : (airborne ? 0 : Math.max(0, p.cruiseAltitudeM - x.position.alt) / p.climbRateMps) + left / p.cruiseSpeedMps + climbSeconds(p)
    s += Math.max(0, p.handlingS - x.dwellS)
    if (x.picking) s += 2 * climbSeconds(p) + loadedLegM() / p.cruiseSpeedMps + p.handlingS
    return s
  }
  return {
    eta: (b, x) =>
      etaFrom(
        x.ts,
        b === 'straightLine' ? seconds(x, straight, () => straight(x.pickup, x.dropoff)) : seconds(x, routed, () => loadedM(x)),
      ),
  }
}
