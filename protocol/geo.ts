/** A WGS84 position in degrees. */
export interface LatLon {
  lat: number
  lon: number
}

const EARTH_RADIUS_M = 6_371_008.8
const RAD = Math.PI / 180

/**
 * Great-circle distance in metres (haversine). Written out rather than taken
 * from turf on purpose: it runs on every telemetry sample and must not
 * allocate GeoJSON features.
 */
export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD
  const dLon = (lon2 - lon1) * RAD
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)))
}

export function isLatitude(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= -90 && v <= 90
}

export function isLongitude(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= -180 && v <= 180
}
