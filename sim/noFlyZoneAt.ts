import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import { polygon as turfPolygon } from '@turf/helpers'
import { continuousLons, unwrapLon, type LatLon, type Zone } from '../protocol/geo.js'

/**
 * The first no-fly zone that contains `p` (its boundary counts as inside),
 * or undefined. The planar test on degrees agrees with the engine's, which
 * projects each ring affinely: straight edges stay straight, so inside stays
 * inside. Longitudes are unwrapped along the ring and the point around the
 * ring's first corner, so a zone across ±180° is one piece. Used where the
 * simulator must not produce what the gateway would refuse: depots and
 * pickups in a zone, drop-offs drawn into one.
 */
export function noFlyZoneAt(zones: readonly Zone[], p: LatLon): Zone | undefined {
  for (const z of zones) {
    if (!z.noFly || z.polygon.length < 3) continue
    const lons = continuousLons(z.polygon)
    const ring = z.polygon.map((q, i) => [lons[i]!, q.lat])
    const first = ring[0] as number[],
      last = ring[ring.length - 1] as number[]
    if (first[0] !== last[0] || first[1] !== last[1]) ring.push(first)
    if (booleanPointInPolygon([unwrapLon(p.lon, lons[0]!), p.lat], turfPolygon([ring]))) return z
  }
  return undefined
}
