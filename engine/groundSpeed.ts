import { lerpLatLon, lonDelta, type LatLon } from '../protocol/geo.js'
import { M_PER_DEG, mPerDegLon } from './Ring.js'

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
  const ue = trackE / len,
    un = trackN / len
  const along = windE * ue + windN * un
  const cross = -windE * un + windN * ue
  const side = airspeedMps * airspeedMps - cross * cross
  return Math.max(0.1 * airspeedMps, along + Math.sqrt(Math.max(0, side)))
}

/**
 * Air metres per ground metre along a path at time t (1 without wind): time
 * and energy scale with it. Wind is sampled at each segment's midpoint, or,
 * with `sampleM`, at the middle of each piece of at most that length and at
 * the time the drone gets there (for a wind that varies in place and time);
 * segments run the short way round, across ±180° too. `first`: the path
 * starts at that waypoint (the ones before it are flown already).
 */
export function airPerGroundM(
  wind: WindField | undefined,
  airspeedMps: number,
  from: LatLon,
  waypoints: readonly LatLon[],
  t: number,
  sampleM = Infinity,
  first = 0,
): number {
  if (!wind) return 1
  let ground = 0
  let air = 0
  let a = from
  let at = t
  for (let j = first; j < waypoints.length; j++) {
    const b = waypoints[j]!
    const e = lonDelta(a.lon, b.lon) * mPerDegLon((a.lat + b.lat) / 2),
      n = (b.lat - a.lat) * M_PER_DEG
    const m = Math.hypot(e, n)
    const pieces = m > sampleM ? Math.ceil(m / sampleM) : 1
    for (let k = 0; k < pieces; k++) {
      const w = wind(lerpLatLon(a, b, (k + 0.5) / pieces), at)
      const pieceAir = ((m / pieces) * airspeedMps) / groundSpeedMps(airspeedMps, e, n, w.eastMps, w.northMps)
      air += pieceAir
      if (sampleM !== Infinity) at += (pieceAir / airspeedMps) * 1000
    }
    ground += m
    a = b
  }
  return ground === 0 ? 1 : air / ground
}
