import { continuousLons, unwrapLon, wrapLon, type LatLon } from './geo.js'

/** How near an edge a point counts as on it, degrees (about a centimetre). */
export const REGION_EDGE_TOLERANCE_DEG = 1e-7

/**
 * A region's boundary as a plane ring in degrees: x is the longitude,
 * unwrapped along the ring and around the middle of its box (so a region
 * across ±180° is one piece), y the latitude. A region's edges are straight
 * lines on a latitude/longitude map, as people draw them; inside and outside
 * follow from that, at any size (a zone's metric frame would not hold a
 * state). Point tests allocate nothing and start with the box.
 */
export class RegionRing {
  /** Corners, without a repeated closing one. */
  readonly n: number
  readonly xs: Float64Array
  readonly ys: Float64Array
  readonly minX: number
  readonly maxX: number
  readonly minY: number
  readonly maxY: number
  /** The middle of the box's longitudes, in -180..180: a longitude is unwrapped around it. */
  readonly ref: number

  /** `points` in order, closed or not; a valid ring (polygonProblems) is assumed. */
  constructor(points: readonly LatLon[]) {
    const first = points[0]
    const last = points[points.length - 1]
    const pts =
      first && last && points.length > 1 && first.lat === last.lat && wrapLon(first.lon) === wrapLon(last.lon)
        ? points.slice(0, -1)
        : points
    const lons = continuousLons(pts)
    const lo = Math.min(...lons)
    const hi = Math.max(...lons)
    this.ref = wrapLon((lo + hi) / 2)
    // A whole number of turns: the corners keep their exact values unless the ring lies across ±180°.
    const shift = this.ref - (lo + hi) / 2
    this.n = pts.length
    this.xs = Float64Array.from(lons, (x) => (shift === 0 ? x : x + shift))
    this.ys = Float64Array.from(pts, (p) => p.lat)
    this.minX = lo + shift
    this.maxX = hi + shift
    this.minY = Math.min(...this.ys)
    this.maxY = Math.max(...this.ys)
  }

  /** A longitude in this ring's frame. */
  x(lon: number): number {
    return unwrapLon(lon, this.ref)
  }

  /**
   * Whether the point is inside. A point on an edge is inside on one side of
   * it only (the crossing rule, half-open): of two regions that share an
   * edge, exactly one has it, so a map of regions that tile a city leaves no
   * point without a region and gives none two.
   */
  contains(lat: number, lon: number): boolean {
    if (lat < this.minY || lat > this.maxY) return false
    const x = this.x(lon)
    return x >= this.minX && x <= this.maxX && this.containsXY(x, lat)
  }

  /** `contains` for a point already in this ring's frame. */
  containsXY(x: number, y: number): boolean {
    const { xs, ys, n } = this
    let inside = false
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = ys[i]!
      const yj = ys[j]!
      if (yi > y === yj > y) continue
      // Each edge from its lower end to its upper one: two rings sharing the edge compute the same crossing, to the bit.
      const low = yi < yj ? i : j
      const high = low === i ? j : i
      const xl = xs[low]!
      const yl = ys[low]!
      const xc = xl + ((y - yl) * (xs[high]! - xl)) / (ys[high]! - yl)
      if (x < xc) inside = !inside
    }
    return inside
  }

  /** Whether a point in this ring's frame lies on one of its edges (within about a centimetre). */
  onBoundaryXY(x: number, y: number): boolean {
    const { xs, ys, n } = this
    for (let i = 0, j = n - 1; i < n; j = i++) {
      if (distanceToSegment(x, y, xs[j]!, ys[j]!, xs[i]!, ys[i]!) <= REGION_EDGE_TOLERANCE_DEG) return true
    }
    return false
  }

  /**
   * A point strictly inside, in this ring's frame: the middle of the widest
   * run inside along the line of latitude halfway across the widest gap
   * between the corners' latitudes (a line through no corner).
   */
  interiorXY(): [x: number, y: number] {
    const lats = [...new Set(this.ys)].sort((a, b) => a - b)
    let y = lats[0]!
    let gap = -1
    for (let k = 1; k < lats.length; k++) {
      if (lats[k]! - lats[k - 1]! > gap) {
        gap = lats[k]! - lats[k - 1]!
        y = (lats[k]! + lats[k - 1]!) / 2
      }
    }
    const cuts: number[] = []
    const { xs, ys, n } = this
    for (let i = 0, j = n - 1; i < n; j = i++) {
      if (ys[i]! > y === ys[j]! > y) continue
      cuts.push(xs[j]! + ((y - ys[j]!) * (xs[i]! - xs[j]!)) / (ys[i]! - ys[j]!))
    }
    cuts.sort((a, b) => a - b)
    let x = (cuts[0]! + cuts[1]!) / 2
    let width = -1
    for (let k = 0; k + 1 < cuts.length; k += 2) {
      if (cuts[k + 1]! - cuts[k]! > width) {
        width = cuts[k + 1]! - cuts[k]!
        x = (cuts[k]! + cuts[k + 1]!) / 2
      }
    }
    return [x, y]
  }
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by), in the plane. */
export function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax
  const dy = by - ay
  const len2 = dx * dx + dy * dy
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2))
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy))
}
