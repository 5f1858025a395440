import type { Eta } from '../protocol/eta.js'
import { haversineM } from '../protocol/geo.js'
import { climbSeconds, type DroneProfile } from '../protocol/profile.js'
import type { DroneState } from '../protocol/telemetry.js'
import type { Route } from './RoutePlanner.js'

export interface EtaInput {
  lat: number
  lon: number
  alt: number
  state: DroneState
  /** The route being flown: to the pickup, or to the drop-off once loaded. */
  leg: Route
  /** Index of the leg's next waypoint. */
  next: number
  /** The loaded route, when the leg is still the one to the pickup; null once loaded. */
  then: Route | null
  /** Seconds of handling still to come at the target (all of it before arriving). */
  handlingLeftS: number
  /** Seconds of handling at the drop-off after `then`. */
  thenHandlingS: number
}

/** Ground metres left along `route` from a position heading for waypoint `next`. */
export function metresLeft(route: Route, next: number, lat: number, lon: number): number {
  const wp = route.waypoints[next]!
  return haversineM(lat, lon, wp.lat, wp.lon) + route.rest[next]!
}

/** Seconds from a position to being stopped at the leg's end, vertical phases included. */
export function legSeconds(p: DroneProfile, d: Pick<EtaInput, 'lat' | 'lon' | 'alt' | 'state' | 'leg' | 'next'>, arrivalM: number): number {
  const left = metresLeft(d.leg, d.next, d.lat, d.lon)
  if (left <= arrivalM) return d.alt / p.climbRateMps
  const airborne = d.state === 'cruise' || d.state === 'returning'
  const climb = airborne ? 0 : Math.max(0, p.cruiseAltitudeM - d.alt) / p.climbRateMps
  return climb + (left * d.leg.airPerM) / p.cruiseSpeedMps + climbSeconds(p)
}

/**
 * Seconds until the package is released at the drop-off, along the planned
 * routes (around no-fly zones, wind included through each route's air
 * factor) at the profile's airspeed: the current leg, the handling left at
 * its end, and, if the package is still to be picked up, the loaded leg and
 * its handling.
 */
export function remainingSeconds(p: DroneProfile, d: EtaInput, arrivalM: number): number {
  let s = legSeconds(p, d, arrivalM) + d.handlingLeftS
  if (d.then) s += 2 * climbSeconds(p) + (d.then.lengthM * d.then.airPerM) / p.cruiseSpeedMps + d.thenHandlingS
  return s
}

/**
 * An ETA with its P10–P90 window. The window widens with the time left: wind
 * and holds make long plans less certain, and at the door it is seconds.
 */
export function etaFrom(now: number, remainingS: number): Eta {
  const at = now + remainingS * 1000
  return {
    at: Math.round(at),
    p10: Math.round(Math.max(now, at - (0.08 * remainingS + 5) * 1000)),
    p90: Math.round(at + (0.15 * remainingS + 10) * 1000),
  }
}

/** Weight of a fresh estimate against the running one: damps sample-to-sample noise. */
const SMOOTH = 0.3
/** A jump this large is a real change (a re-plan, a hold), not noise: take it at once. */
const JUMP_MS = 120_000

/**
 * Blends a fresh ETA into the previous one so a noisy sample does not make
 * the countdown jump: the arrival time and the window's widths are smoothed
 * separately, and p10 never falls before `now`.
 */
export function smoothEta(prev: Eta | null, raw: Eta, now: number): Eta {
  if (!prev || Math.abs(raw.at - prev.at) >= JUMP_MS) return raw
  const mix = (a: number, b: number): number => a + SMOOTH * (b - a)
  const at = Math.round(mix(prev.at, raw.at))
  const below = mix(prev.at - prev.p10, raw.at - raw.p10)
  const above = mix(prev.p90 - prev.at, raw.p90 - raw.at)
  return { at, p10: Math.round(Math.min(at, Math.max(now, at - below))), p90: Math.round(at + above) }
}
