import type { LatLon } from '../protocol/geo.js'
import { M_PER_DEG } from './Ring.js'

/** Wind at a place and event time, m/s toward east and north (the direction the air moves). */
export type WindField = (p: LatLon, t: number) => { eastMps: number; northMps: number }

/**
 * Ground speed along a track for a given airspeed and wind: the drone crabs
 * into the crosswind and the along-track wind adds or subtracts. A crosswind
 * as strong as the airspeed leaves no progress; a floor keeps plans finite
 * (such a leg then simply looks very slow and costly).
 */
export function groundSpeedMps(airspeedMps: number, trackE: number, trackN: number, windE: number, windN: number): number {
  const len = Math.hypot(trackE, trackN)
  if (len === 0) return airspeedMps
  const ue = trackE / len, un = trackN / len
  const along = windE * ue + windN * un
  const cross = -windE * un + windN * ue
  const side = airspeedMps * airspeedMps - cross * cross
  return Math.max(0.1 * airspeedMps, along + Math.sqrt(Math.max(0, side)))
}

/**
 * Air metres per ground metre along a path at time t (1 without wind): time
 * and energy scale with it. Wind is sampled at each segment's midpoint.
 */
export function airPerGroundM(wind: WindField | undefined, airspeedMps: number, from: LatLon, waypoints: readonly LatLon[], t: number): number {
  if (!wind) return 1
  let ground = 0
  let air = 0
  let a = from
  for (const b of waypoints) {
    const kx = M_PER_DEG * Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180)
    const e = (b.lon - a.lon) * kx, n = (b.lat - a.lat) * M_PER_DEG
    const m = Math.hypot(e, n)
    const w = wind({ lat: (a.lat + b.lat) / 2, lon: (a.lon + b.lon) / 2 }, t)
    ground += m
    air += (m * airspeedMps) / groundSpeedMps(airspeedMps, e, n, w.eastMps, w.northMps)
    a = b
  }
  return ground === 0 ? 1 : air / ground
}
