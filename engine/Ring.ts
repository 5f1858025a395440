import { continuousLons, lonDelta, wrapLon, type LatLon } from '../protocol/geo.js'

export { segmentsCross } from '../protocol/geo.js'

/** Metres per degree of latitude on the sphere haversineM uses. */
export const M_PER_DEG = (6_371_008.8 * Math.PI) / 180

/** Metres per degree of longitude at a latitude (floored near the poles, where it tends to 0). */
export function mPerDegLon(lat: number): number {
  return M_PER_DEG * Math.max(1e-6, Math.cos((lat * Math.PI) / 180))
}

/**
 * A polygon ring in a frame of its own: longitudes unwrapped around its
 * centre (so a zone across ±180° is one piece), projected to metres
 * (equirectangular: within a zone's few km the error is far below GPS
 * noise). Point tests run on every telemetry sample, so they work on typed
 * arrays and allocate nothing; turf's tests build GeoJSON per call and serve
 * as the oracle in the tests instead.
 */
export class Ring {
  readonly lat0: number
  /** The centre's longitude, in -180..180. */
  readonly lon0: number
  /** Metres per degree of longitude at lat0. */
  readonly kx: number
  readonly xs: Float64Array
  readonly ys: Float64Array
  /** Corners in degrees from the centre (longitude unwrapped): distances are measured in a frame local to the point asked about. */
  private readonly dLon: Float64Array
  private readonly dLat: Float64Array
  readonly minLat: number
  readonly maxLat: number
  /** The box's longitudes, unwrapped around lon0: below -180 or above 180 for a ring across ±180°. */
  readonly minLon: number
  readonly maxLon: number

  /** `points` in order, closed or not (a repeated first point is dropped). */
  constructor(points: readonly LatLon[]) {
    const pts = points.length > 1 && samePoint(points[0]!, points[points.length - 1]!) ? points.slice(0, -1) : points
    const lons = continuousLons(pts)
    let minLat = Infinity,
      maxLat = -Infinity,
      minLon = Infinity,
      maxLon = -Infinity
    pts.forEach((p, i) => {
      minLat = Math.min(minLat, p.lat)
      maxLat = Math.max(maxLat, p.lat)
      minLon = Math.min(minLon, lons[i]!)
      maxLon = Math.max(maxLon, lons[i]!)
    })
    const mid = (minLon + maxLon) / 2
    this.lat0 = (minLat + maxLat) / 2
    this.lon0 = wrapLon(mid)
    const shift = this.lon0 - mid
    this.minLat = minLat
    this.maxLat = maxLat
    this.minLon = minLon + shift
    this.maxLon = maxLon + shift
    this.kx = mPerDegLon(this.lat0)
    this.xs = new Float64Array(pts.length)
    this.ys = new Float64Array(pts.length)
    this.dLon = new Float64Array(pts.length)
    this.dLat = new Float64Array(pts.length)
    pts.forEach((p, i) => {
      this.dLon[i] = lons[i]! - mid
      this.dLat[i] = p.lat - this.lat0
      this.xs[i] = this.dLon[i]! * this.kx
      this.ys[i] = this.dLat[i]! * M_PER_DEG
    })
  }

  get size(): number {
    return this.xs.length
  }

  /** x of a longitude in this ring's frame, m (the short way round from the centre). */
  x(lon: number): number {
    return lonDelta(this.lon0, lon) * this.kx
  }

  /** Whether the point lies inside (even-odd rule; the frame is affine in degrees, so it agrees with a planar test on lon/lat). */
  contains(lat: number, lon: number): boolean {
    return containsXY(this.xs, this.ys, this.x(lon), (lat - this.lat0) * M_PER_DEG)
  }

  /**
   * Distance to the boundary in metres: positive inside, negative outside.
   * Measured with the metres per degree of longitude at the point itself,
   * so a band of a few tens of metres holds at 65°N and beyond too.
   */
  signedDistanceM(lat: number, lon: number): number {
    const px = lonDelta(this.lon0, lon),
      py = lat - this.lat0
    const kx = mPerDegLon(lat)
    let best = Infinity
    const n = this.dLon.length
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const d2 = pointSegment2(
        (px - this.dLon[j]!) * kx,
        (py - this.dLat[j]!) * M_PER_DEG,
        (this.dLon[i]! - this.dLon[j]!) * kx,
        (this.dLat[i]! - this.dLat[j]!) * M_PER_DEG,
      )
      if (d2 < best) best = d2
    }
    const d = Math.sqrt(best)
    return containsXY(this.xs, this.ys, px * this.kx, py * M_PER_DEG) ? d : -d
  }
}

function samePoint(a: LatLon, b: LatLon): boolean {
  return a.lat === b.lat && wrapLon(a.lon) === wrapLon(b.lon)
}

export function containsXY(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number, y: number): boolean {
  let inside = false
  const n = xs.length
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const yi = ys[i]!,
      yj = ys[j]!
    if (yi > y !== yj > y && x < ((xs[j]! - xs[i]!) * (y - yi)) / (yj - yi) + xs[i]!) inside = !inside
  }
  return inside
}

/** Squared distance from a point (px, py) to the segment from the origin to (dx, dy), all relative to the segment's start. */
export function pointSegment2(px: number, py: number, dx: number, dy: number): number {
  const len2 = dx * dx + dy * dy
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, (px * dx + py * dy) / len2))
  const ex = t * dx - px,
    ey = t * dy - py
  return ex * ex + ey * ey
}

export function distanceToEdgesXY(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number, y: number): number {
  let best = Infinity
  const n = xs.length
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const d2 = pointSegment2(x - xs[j]!, y - ys[j]!, xs[i]! - xs[j]!, ys[i]! - ys[j]!)
    if (d2 < best) best = d2
  }
  return Math.sqrt(best)
}
