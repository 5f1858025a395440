import type { LatLon } from '../../protocol/geo.js'

/** The point northM north and eastM east of o (a flat-earth step, fine over a few km). */
export function offset(o: LatLon, northM: number, eastM: number): LatLon {
  return { lat: o.lat + northM / 111_195, lon: o.lon + eastM / (111_195 * Math.cos((o.lat * Math.PI) / 180)) }
}
