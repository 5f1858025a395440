import type { Eta } from '../protocol/eta.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { climbSeconds, type DroneProfile } from '../protocol/profile.js'
import type { DroneState } from '../protocol/telemetry.js'

export interface EtaInput {
  lat: number
  lon: number
  alt: number
  state: DroneState
  /** Where the drone is headed now (the pickup, or the drop-off once loaded). */
  target: LatLon
  /** The drop-off, when the target is still the pickup; null once loaded. */
  then: LatLon | null
  /** Seconds already spent handling at the target. */
  dwellS: number
}

/** Seconds from a position to being stopped at `target`, vertical phases included. */
function legSeconds(p: DroneProfile, d: EtaInput, arrivalM: number): number {
  const dist = haversineM(d.lat, d.lon, d.target.lat, d.target.lon)
  if (dist <= arrivalM) return d.alt / p.climbRateMps
  const airborne = d.state === 'cruise' || d.state === 'returning'
  const climb = airborne ? 0 : Math.max(0, p.cruiseAltitudeM - d.alt) / p.climbRateMps
  return climb + dist / p.cruiseSpeedMps + climbSeconds(p)
}

/**
 * Seconds until the package is released at the drop-off: the current leg, the
 * handling left at its end, and, if the package is still to be picked up, the
 * loaded leg and its handling.
 */
export function remainingSeconds(p: DroneProfile, d: EtaInput, arrivalM: number): number {
  let s = legSeconds(p, d, arrivalM) + Math.max(0, p.handlingS - d.dwellS)
  if (d.then) {
    const loaded = haversineM(d.target.lat, d.target.lon, d.then.lat, d.then.lon)
    s += 2 * climbSeconds(p) + loaded / p.cruiseSpeedMps + p.handlingS
  }
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
