import { segmentsCross } from './geo.js'
import { distanceToSegment, REGION_EDGE_TOLERANCE_DEG, type RegionRing } from './RegionRing.js'

/**
 * Whether two regions share any area. Sharing edges or corners is allowed
 * (neighbouring regions tile a city). Exact for simple rings: their
 * interiors meet if and only if an edge of one properly crosses an edge of
 * the other, or a piece of one's boundary runs inside the other, or (the
 * only case left) they are the same ring, which an inner point of one lying
 * in the other tells.
 */
export function regionsOverlap(a: RegionRing, b: RegionRing): boolean {
  // b in a's frame: shifted as a whole by the turns that bring its middle nearest a's, so it stays one piece.
  const off = a.x(b.ref) - b.ref
  if (b.minX + off > a.maxX || b.maxX + off < a.minX || b.minY > a.maxY || b.maxY < a.minY) return false
  const bx = off === 0 ? b.xs : b.xs.map((x) => x + off)
  for (let i = 0, j = a.n - 1; i < a.n; j = i++) {
    for (let k = 0, l = b.n - 1; k < b.n; l = k++) {
      if (segmentsCross(a.xs[j]!, a.ys[j]!, a.xs[i]!, a.ys[i]!, bx[l]!, b.ys[l]!, bx[k]!, b.ys[k]!)) return true
    }
  }
  if (boundaryRunsInside(a.xs, a.ys, b, -off) || boundaryRunsInside(bx, b.ys, a, 0)) return true
  const [x, y] = a.interiorXY()
  return b.containsXY(x - off, y) || b.onBoundaryXY(x - off, y)
}

/**
 * Whether some piece of the ring (xs, ys) lies strictly inside `other`. Each
 * edge is cut where a corner of `other` lies on it; with no proper crossing,
 * each piece is then wholly inside, outside or on `other`'s boundary, and its
 * middle tells which. `off` takes the ring's x into `other`'s frame.
 */
function boundaryRunsInside(xs: ArrayLike<number>, ys: ArrayLike<number>, other: RegionRing, off: number): boolean {
  const n = xs.length
  const cuts: number[] = []
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const ax = xs[j]! + off
    const ay = ys[j]!
    const bx = xs[i]! + off
    const by = ys[i]!
    const len2 = (bx - ax) ** 2 + (by - ay) ** 2
    cuts.length = 0
    cuts.push(0, 1)
    for (let k = 0; k < other.n; k++) {
      const px = other.xs[k]!
      const py = other.ys[k]!
      if (distanceToSegment(px, py, ax, ay, bx, by) <= REGION_EDGE_TOLERANCE_DEG)
        cuts.push(Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2)))
    }
    cuts.sort((p, q) => p - q)
    for (let c = 1; c < cuts.length; c++) {
      if (cuts[c]! - cuts[c - 1]! < 1e-12) continue
      const t = (cuts[c]! + cuts[c - 1]!) / 2
      const mx = ax + t * (bx - ax)
      const my = ay + t * (by - ay)
      if (other.containsXY(mx, my) && !other.onBoundaryXY(mx, my)) return true
    }
  }
  return false
}
