/** A WGS84 position in degrees. */
export interface LatLon {
  lat: number
  lon: number
}

/**
 * A named area: a no-fly zone (routes go around it, pickups and drop-offs
 * inside it are refused) or, with noFly false, an area that is only watched
 * (GeofenceEntered / GeofenceExited). The polygon is one ring, at least three
 * distinct points, not self-intersecting; closing it is optional.
 */
export interface Zone {
  id: string
  name?: string
  polygon: LatLon[]
  noFly: boolean
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

/** Whether segments ab and cd properly cross (touching at an end or overlapping collinearly does not count). */
export function segmentsCross(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const o1 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
  const o2 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
  const o3 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx)
  const o4 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx)
  return o1 * o2 < 0 && o3 * o4 < 0
}

export interface FieldProblem {
  /** JSON path, e.g. /polygon/3/lat. */
  field: string
  value: unknown
  message: string
}

export const MAX_ZONE_POINTS = 1000
/** Largest zone extent accepted, m: the engine projects zones flat, which holds at city scale. */
export const MAX_ZONE_EXTENT_M = 100_000

/**
 * What is wrong with a zone polygon, field by field (empty when it is fine):
 * points must be valid coordinates, at least three distinct ones, enclosing
 * an area, with no edges crossing, within `maxExtentM` (100 km for a zone),
 * and not around a pole. Each edge runs the short way round, so a zone may
 * lie across ±180°.
 */
export function polygonProblems(polygon: unknown, base = '/polygon', maxExtentM = MAX_ZONE_EXTENT_M): FieldProblem[] {
  if (!Array.isArray(polygon)) return [{ field: base, value: polygon, message: 'must be a list of {lat, lon} points' }]
  const out: FieldProblem[] = []
  polygon.forEach((p: unknown, i) => {
    const o = p as LatLon
    if (typeof p !== 'object' || p === null) out.push({ field: `${base}/${i}`, value: p, message: 'must be a {lat, lon} point' })
    else if (!isLatitude(o.lat)) out.push({ field: `${base}/${i}/lat`, value: o.lat, message: 'must be a latitude in -90..90' })
    else if (!isLongitude(o.lon)) out.push({ field: `${base}/${i}/lon`, value: o.lon, message: 'must be a longitude in -180..180' })
  })
  if (out.length > 0) return out
  const pts = polygon as LatLon[]
  const first = pts[0],
    last = pts[pts.length - 1]
  const ring =
    first && last && pts.length > 1 && first.lat === last.lat && wrapLon(first.lon) === wrapLon(last.lon) ? pts.slice(0, -1) : pts
  const distinct = new Set(ring.map((p) => `${p.lat},${wrapLon(p.lon)}`)).size
  if (distinct < 3) return [{ field: base, value: polygon, message: `needs at least 3 distinct points, got ${distinct}` }]
  if (ring.length > MAX_ZONE_POINTS)
    return [{ field: base, value: `${ring.length} points`, message: `may have at most ${MAX_ZONE_POINTS} points` }]
  const lons = continuousLons(ring)
  // Walked edge by edge, a ring around a pole comes back a whole turn away from where it started.
  if (Math.abs(lons[lons.length - 1]! + lonDelta(lons[lons.length - 1]!, lons[0]!) - lons[0]!) > 180) {
    return [{ field: base, value: polygon, message: 'must not enclose a pole' }]
  }
  const lats = ring.map((p) => p.lat)
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2
  const lon0 = (Math.min(...lons) + Math.max(...lons)) / 2
  const k = (EARTH_RADIUS_M * Math.PI) / 180
  const xs = lons.map((lon) => (lon - lon0) * k * Math.cos(lat0 * RAD))
  const ys = ring.map((p) => (p.lat - lat0) * k)
  const extent = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys))
  if (extent > maxExtentM) {
    // Read the short way, a longitude whose sign slipped makes a zone thousands of km across ±180°: say so.
    const across =
      Math.min(...lons) < -180 || Math.max(...lons) > 180
        ? " (its edges, each the short way round, cross ±180°: is a longitude's sign wrong?)"
        : ''
    return [
      {
        field: base,
        value: `${Math.round(extent / 1000)} km across`,
        message: `may be at most ${maxExtentM / 1000} km across${across}`,
      },
    ]
  }
  // Nearer a pole than its own size, a flat frame no longer holds the zone.
  if (Math.max(...lons) - Math.min(...lons) >= 90)
    return [{ field: base, value: polygon, message: 'must not lie this near a pole (it spans 90° of longitude or more)' }]
  const n = ring.length
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if ((j + 1) % n === i) continue
      const [a, b, c, d] = [i, (i + 1) % n, j, (j + 1) % n] as const
      if (segmentsCross(xs[a]!, ys[a]!, xs[b]!, ys[b]!, xs[c]!, ys[c]!, xs[d]!, ys[d]!)) {
        return [
          { field: `${base}/${i}`, value: pts[i], message: `edge ${i}-${b} crosses edge ${c}-${d}; the polygon must not intersect itself` },
        ]
      }
    }
  }
  let area = 0
  for (let i = 0, j = n - 1; i < n; j = i++) area += xs[j]! * ys[i]! - xs[i]! * ys[j]!
  if (Math.abs(area) / 2 < 1) return [{ field: base, value: polygon, message: 'encloses no area (its points are in a line)' }]
  return []
}

/** A longitude brought into [-180, 180): a point nudged east of 180° is at -179.x°. */
export function wrapLon(lon: number): number {
  return lon >= -180 && lon < 180 ? lon : ((((lon + 180) % 360) + 360) % 360) - 180
}

/** The longitude difference b − a the short way round, in [-180, 180): from 179.9° to -179.9° is +0.2°. */
export function lonDelta(a: number, b: number): number {
  return wrapLon(b - a)
}

/**
 * `lon` moved by whole turns to lie within 180° of `ref`: planar maths on
 * degrees near ±180° works on longitudes unwrapped around a reference in
 * its own frame (a zone's, a route's), never on the raw values.
 */
export function unwrapLon(lon: number, ref: number): number {
  const d = lon - ref
  // Unchanged (to the bit) when already within reach: only a value across ±180° moves.
  return d >= -180 && d < 180 ? lon : lon + 360 * Math.round(-d / 360)
}

/**
 * The longitudes of a path or ring, each continued from the one before it
 * (every step the short way round), so that a ring across ±180° runs e.g.
 * 179.9, 180.1, 180.05 instead of jumping to -179.9. The first keeps its value.
 */
export function continuousLons(points: readonly LatLon[]): number[] {
  const out = new Array<number>(points.length)
  let prev = 0
  points.forEach((p, i) => {
    prev = out[i] = i === 0 ? p.lon : unwrapLon(p.lon, prev)
  })
  return out
}

/** Latitude and longitude of the point `fraction` of the way from a to b on a flat frame, the short way round (lon wrapped). */
export function lerpLatLon(a: LatLon, b: LatLon, fraction: number): LatLon {
  return { lat: a.lat + (b.lat - a.lat) * fraction, lon: wrapLon(a.lon + lonDelta(a.lon, b.lon) * fraction) }
}
