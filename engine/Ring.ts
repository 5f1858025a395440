import type { LatLon } from '../protocol/geo.js'

export { segmentsCross } from '../protocol/geo.js'

/** Metres per degree of latitude on the sphere haversineM uses. */
export const M_PER_DEG = (6_371_008.8 * Math.PI) / 180

/**
 * A polygon ring projected to metres around its own centre (equirectangular:
 * within a few km the error is far below GPS noise). Point tests run on every
 * telemetry sample, so they work on typed arrays and allocate nothing; turf's
 * tests build GeoJSON per call and serve as the oracle in the tests instead.
 */
export class Ring {
  readonly lat0: number
  readonly lon0: number
  /** Metres per degree of longitude at lat0. */
  readonly kx: number
  readonly xs: Float64Array
  readonly ys: Float64Array
  readonly minLat: number
  readonly maxLat: number
  readonly minLon: number
  readonly maxLon: number

  /** `points` in order, closed or not (a repeated first point is dropped). */
  constructor(points: readonly LatLon[]) {
    const pts = points.length > 1 && samePoint(points[0]!, points[points.length - 1]!) ? points.slice(0, -1) : points
    let minLat = Infinity, maxLat = -Infinity, minLon = Infinity, maxLon = -Infinity
    for (const p of pts) {
      minLat = Math.min(minLat, p.lat); maxLat = Math.max(maxLat, p.lat)
      minLon = Math.min(minLon, p.lon); maxLon = Math.max(maxLon, p.lon)
    }
    this.minLat = minLat; this.maxLat = maxLat; this.minLon = minLon; this.maxLon = maxLon
    this.lat0 = (minLat + maxLat) / 2
    this.lon0 = (minLon + maxLon) / 2
    this.kx = M_PER_DEG * Math.cos((this.lat0 * Math.PI) / 180)
    this.xs = new Float64Array(pts.length)
    this.ys = new Float64Array(pts.length)
    pts.forEach((p, i) => {
      this.xs[i] = (p.lon - this.lon0) * this.kx
      this.ys[i] = (p.lat - this.lat0) * M_PER_DEG
    })
  }

  get size(): number {
    return this.xs.length
  }

  /** Whether the point lies inside (even-odd rule). */
  contains(lat: number, lon: number): boolean {
    return containsXY(this.xs, this.ys, (lon - this.lon0) * this.kx, (lat - this.lat0) * M_PER_DEG)
  }

  /** Distance to the boundary in metres: positive inside, negative outside. */
  signedDistanceM(lat: number, lon: number): number {
    const x = (lon - this.lon0) * this.kx
    const y = (lat - this.lat0) * M_PER_DEG
    const d = distanceToEdgesXY(this.xs, this.ys, x, y)
    return containsXY(this.xs, this.ys, x, y) ? d : -d
  }
}

function samePoint(a: LatLon, b: LatLon): boolean {
  return a.lat === b.lat && a.lon === b.lon
}

export function containsXY(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number, y: number): boolean {
  let inside = false
  const n = xs.length
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const yi = ys[i]!, yj = ys[j]!
    if (yi > y !== yj > y && x < ((xs[j]! - xs[i]!) * (y - yi)) / (yj - yi) + xs[i]!) inside = !inside
  }
  return inside
}

export function distanceToEdgesXY(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number, y: number): number {
  let best = Infinity
  const n = xs.length
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const ax = xs[j]!, ay = ys[j]!
    const dx = xs[i]! - ax, dy = ys[i]! - ay
    const len2 = dx * dx + dy * dy
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2))
    const ex = ax + t * dx - x, ey = ay + t * dy - y
    const d2 = ex * ex + ey * ey
    if (d2 < best) best = d2
  }
  return Math.sqrt(best)
}
