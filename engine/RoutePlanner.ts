import { buffer } from '@turf/buffer'
import { polygon as turfPolygon } from '@turf/helpers'
import { continuousLons, haversineM, lonDelta, unwrapLon, wrapLon, type LatLon } from '../protocol/geo.js'
import type { Geofences, ZoneEntry } from './Geofences.js'
import { containsXY, M_PER_DEG, mPerDegLon, pointSegment2, segmentsCross } from './Ring.js'

/** A flight path: the turns to make, then the target (always the last waypoint). */
export interface Route {
  waypoints: LatLon[]
  /** Metres from each waypoint to the end (rest[last] = 0). */
  rest: number[]
  /** Whole length from the start, m. */
  lengthM: number
  /** Air metres per ground metre: 1 in still air, more into a headwind (groundSpeed.ts). */
  airPerM: number
}

export function straightRoute(from: LatLon, to: LatLon): Route {
  return { waypoints: [to], rest: [0], lengthM: haversineM(from.lat, from.lon, to.lat, to.lon), airPerM: 1 }
}

/** The clearance routes keep from no-fly zones when none is given, m. */
export const DEFAULT_CLEARANCE_M = 60

export interface RoutePlannerOptions {
  /** How far from a no-fly zone every leg of a route keeps, m. Default 60. */
  clearanceM?: number
}

/**
 * Turning points lie this many clearances out: a buffer's corner arcs are
 * cut into chords of at most 45° (two steps per quarter circle), whose
 * middles come within cos 22.5° ≈ 0.924 of the radius; 1.15 keeps a chord
 * between neighbouring turning points beyond the clearance with room to spare.
 */
const TURN_FACTOR = 1.15

/**
 * An obstacle of one search: the zone's corners in degrees from the route's
 * origin (longitudes unwrapped), measured in metres with the metres per
 * degree of longitude at the zone itself, so a clearance of tens of metres
 * holds on a long route at 65°N too. A segment must stay `clearanceM` away,
 * except a segment from or to an end point that already lies that near (a
 * pickup close to a zone), which need only stay out of the zone.
 */
interface Obstacle {
  entry: ZoneEntry
  kx: number
  xs: Float64Array
  ys: Float64Array
  minX: number
  minY: number
  maxX: number
  maxY: number
  holdsFrom: boolean
  holdsTo: boolean
}

/** How many times a search may grow its obstacle set before it gives up (a maze of zones). */
const MAX_ROUNDS = 12

/**
 * Routes around no-fly zones: the shortest path over a visibility graph whose
 * nodes are the vertices of the zones buffered beyond the clearance (turf),
 * and whose edges are the straight lines that keep the clearance from every
 * zone. The search starts with the zones the straight line comes near and
 * adds any zone a found path comes near until the path is clear, so
 * far-away zones cost nothing. All planar maths happens in a frame centred
 * on the route, longitudes unwrapped around it, so a route across ±180° is
 * as short as anywhere else.
 */
export class RoutePlanner {
  readonly clearanceM: number

  constructor(
    private readonly zones: Geofences,
    o: RoutePlannerOptions = {},
  ) {
    this.clearanceM = o.clearanceM ?? DEFAULT_CLEARANCE_M
  }

  /** The shortest route, or undefined when the zones leave no way through. */
  route(from: LatLon, to: LatLon): Route | undefined {
    if (this.zones.size === 0) return straightRoute(from, to)
    // A zone that holds an end point (a drone caught inside one added after it took off) does not trap it.
    const ignore = (e: ZoneEntry): boolean => e.ring.contains(from.lat, from.lon) || e.ring.contains(to.lat, to.lon)
    const frame = new Frame(from, to)
    const set = new Map<string, Obstacle>()
    let path: LatLon[] = [from, to]
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const added = this.blockers(path, frame, set, ignore, from, to)
      if (added === 0) return toRoute(from, path.slice(1))
      const found = shortestPath(from, to, [...set.values()], frame, this.clearanceM, (e) => this.turns(e))
      if (!found) return undefined
      path = found
    }
    return undefined
  }

  /** Adds to `set` every zone some segment of `path` comes too near; returns how many it added. */
  private blockers(
    path: LatLon[],
    frame: Frame,
    set: Map<string, Obstacle>,
    ignore: (e: ZoneEntry) => boolean,
    from: LatLon,
    to: LatLon,
  ): number {
    let added = 0
    const c = this.clearanceM
    for (let i = 1; i < path.length; i++) {
      const a = path[i - 1]!,
        b = path[i]!
      // The segment's box, unwrapped around a and widened by the clearance (most widely at its poleward edge).
      const aLon = a.lon,
        bLon = unwrapLon(b.lon, a.lon)
      const padLat = c / M_PER_DEG
      const padLon = c / mPerDegLon(Math.min(90, Math.max(Math.abs(a.lat), Math.abs(b.lat)) + padLat))
      const near = this.zones.noFlyIn(
        Math.min(a.lat, b.lat) - padLat,
        Math.min(aLon, bLon) - padLon,
        Math.max(a.lat, b.lat) + padLat,
        Math.max(aLon, bLon) + padLon,
      )
      for (const e of near) {
        if (set.has(e.zone.id) || ignore(e)) continue
        const o = frame.obstacle(e, from, to, c)
        if (blocks(o, frame, a, b, i === 1, i === path.length - 1, c)) {
          set.set(e.zone.id, o)
          added++
        }
      }
    }
    return added
  }

  /** The zone's turning points (a turf buffer beyond the clearance), made once per zone. */
  private turns(e: ZoneEntry): LatLon[] {
    e.turns ??= bufferRing(e.zone.polygon, this.clearanceM * TURN_FACTOR)
    return e.turns
  }
}

/**
 * The polygon grown by `m` metres: two steps per quarter circle, so a few
 * points per corner. Longitudes go to turf unwrapped along the ring (one
 * piece across ±180°) and come back wrapped into -180..180.
 */
function bufferRing(polygon: LatLon[], m: number): LatLon[] {
  const lons = continuousLons(polygon)
  const ring = polygon.map((p, i) => [lons[i]!, p.lat])
  const first = ring[0]!,
    last = ring[ring.length - 1]!
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push(first)
  const b = buffer(turfPolygon([ring]), m, { units: 'meters', steps: 2 })
  const coords =
    b?.geometry.type === 'Polygon'
      ? b.geometry.coordinates[0]!
      : b?.geometry.type === 'MultiPolygon'
        ? b.geometry.coordinates.flatMap((p) => p[0]!)
        : []
  return coords.slice(0, -1).map(([lon, lat]) => ({ lat: lat!, lon: wrapLon(lon!) }))
}

/** A frame around a route's midpoint: degrees from it, longitude the short way round; metres at its latitude for path lengths. */
class Frame {
  readonly lat0: number
  readonly lon0: number
  readonly kx: number
  constructor(from: LatLon, to: LatLon) {
    this.lat0 = (from.lat + to.lat) / 2
    this.lon0 = wrapLon(from.lon + lonDelta(from.lon, to.lon) / 2)
    this.kx = mPerDegLon(this.lat0)
  }

  /** Degrees of longitude east of the frame's centre. */
  dx(lon: number): number {
    return lonDelta(this.lon0, lon)
  }

  /** Degrees of latitude north of the frame's centre. */
  dy(lat: number): number {
    return lat - this.lat0
  }

  obstacle(entry: ZoneEntry, from: LatLon, to: LatLon, clearanceM: number): Obstacle {
    const pts = entry.zone.polygon
    const kx = entry.ring.kx
    // The ring's corners unwrapped around the zone, then placed in this frame as one piece.
    const lons = continuousLons(pts)
    const shift = this.dx(lons[0]!) - lons[0]!
    const xs = new Float64Array(pts.length),
      ys = new Float64Array(pts.length)
    pts.forEach((p, i) => {
      xs[i] = (lons[i]! + shift) * kx
      ys[i] = this.dy(p.lat) * M_PER_DEG
    })
    const o: Obstacle = {
      entry,
      kx,
      xs,
      ys,
      minX: Math.min(...xs),
      minY: Math.min(...ys),
      maxX: Math.max(...xs),
      maxY: Math.max(...ys),
      holdsFrom: false,
      holdsTo: false,
    }
    o.holdsFrom = pointDistance(o, this.dx(from.lon) * kx, this.dy(from.lat) * M_PER_DEG) < clearanceM
    o.holdsTo = pointDistance(o, this.dx(to.lon) * kx, this.dy(to.lat) * M_PER_DEG) < clearanceM
    return o
  }
}

/** Distance from a point (in the obstacle's metres) to the zone, m; 0 inside it. */
function pointDistance(o: Obstacle, x: number, y: number): number {
  if (containsXY(o.xs, o.ys, x, y)) return 0
  let best = Infinity
  const { xs, ys } = o
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++)
    best = Math.min(best, pointSegment2(x - xs[j]!, y - ys[j]!, xs[i]! - xs[j]!, ys[i]! - ys[j]!))
  return Math.sqrt(best)
}

/**
 * Whether segment ab comes nearer the obstacle than the clearance (or, for a
 * segment leaving `from` or reaching `to` where that end is already near,
 * enters the zone). Exact: the least distance between the segment and the
 * zone's edges, 0 when they cross or the segment lies inside.
 */
function blocks(o: Obstacle, frame: Frame, a: LatLon, b: LatLon, fromStart: boolean, toEnd: boolean, clearanceM: number): boolean {
  const ax = frame.dx(a.lon) * o.kx,
    ay = frame.dy(a.lat) * M_PER_DEG
  const bx = frame.dx(b.lon) * o.kx,
    by = frame.dy(b.lat) * M_PER_DEG
  const need = (fromStart && o.holdsFrom) || (toEnd && o.holdsTo) ? 0 : clearanceM
  // Most segments pass far from most obstacles: a box test first.
  if (
    Math.max(ax, bx) < o.minX - need ||
    Math.min(ax, bx) > o.maxX + need ||
    Math.max(ay, by) < o.minY - need ||
    Math.min(ay, by) > o.maxY + need
  )
    return false
  const { xs, ys } = o
  const n = xs.length
  const dx = bx - ax,
    dy = by - ay
  const need2 = need * need
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const cx = xs[j]!,
      cy = ys[j]!,
      ex = xs[i]! - cx,
      ey = ys[i]! - cy
    if (segmentsCross(ax, ay, bx, by, cx, cy, xs[i]!, ys[i]!)) return true
    if (need === 0) continue
    // Two segments that do not cross are nearest at an end of one of them.
    if (
      pointSegment2(cx - ax, cy - ay, dx, dy) < need2 ||
      pointSegment2(ax - cx, ay - cy, ex, ey) < need2 ||
      pointSegment2(bx - cx, by - cy, ex, ey) < need2
    )
      return true
  }
  // Clear of every edge: only a segment wholly inside (or, with need 0, running through corners) is left; sample it.
  for (const f of [0.25, 0.5, 0.75]) if (containsXY(xs, ys, ax + dx * f, ay + dy * f)) return true
  return false
}

/**
 * A* over the visibility graph of `from`, `to` and the turning points of the
 * obstacles; edges are found lazily as nodes are expanded. Returns the
 * points from `from` to `to`, or undefined when `to` cannot be reached.
 */
function shortestPath(
  from: LatLon,
  to: LatLon,
  obstacles: Obstacle[],
  frame: Frame,
  clearanceM: number,
  turnsOf: (e: ZoneEntry) => LatLon[],
): LatLon[] | undefined {
  const nodes: LatLon[] = [from, to]
  for (const o of obstacles) {
    for (const p of turnsOf(o.entry)) {
      // A turning point within the clearance of another zone (zones that overlap or nearly touch) is no use.
      if (!obstacles.some((q) => pointDistance(q, frame.dx(p.lon) * q.kx, frame.dy(p.lat) * M_PER_DEG) < clearanceM)) nodes.push(p)
    }
  }
  const n = nodes.length
  const xs = nodes.map((p) => frame.dx(p.lon) * frame.kx),
    ys = nodes.map((p) => frame.dy(p.lat) * M_PER_DEG)
  const h = xs.map((x, i) => Math.hypot(x - xs[1]!, ys[i]! - ys[1]!))
  const g = new Float64Array(n).fill(Infinity)
  const prev = new Int32Array(n).fill(-1)
  const done = new Uint8Array(n)
  g[0] = 0
  // n is small (tens to a few hundred turning points): a linear scan for the next node is simplest.
  for (;;) {
    let u = -1
    let best = Infinity
    for (let i = 0; i < n; i++) {
      if (!done[i] && g[i]! + h[i]! < best) {
        best = g[i]! + h[i]!
        u = i
      }
    }
    if (u < 0) return undefined
    if (u === 1) break
    done[u] = 1
    for (let v = 0; v < n; v++) {
      if (done[v] || v === u) continue
      const w = g[u]! + Math.hypot(xs[v]! - xs[u]!, ys[v]! - ys[u]!)
      if (w >= g[v]!) continue
      if (obstacles.some((o) => blocks(o, frame, nodes[u]!, nodes[v]!, u === 0, v === 1, clearanceM))) continue
      g[v] = w
      prev[v] = u
    }
  }
  const path: LatLon[] = []
  for (let i = 1; i !== -1; i = prev[i]!) path.push(nodes[i]!)
  return path.reverse()
}

function toRoute(from: LatLon, waypoints: LatLon[]): Route {
  const rest = new Array<number>(waypoints.length).fill(0)
  for (let i = waypoints.length - 2; i >= 0; i--) {
    const a = waypoints[i]!,
      b = waypoints[i + 1]!
    rest[i] = rest[i + 1]! + haversineM(a.lat, a.lon, b.lat, b.lon)
  }
  const first = waypoints[0]!
  return { waypoints, rest, lengthM: haversineM(from.lat, from.lon, first.lat, first.lon) + rest[0]!, airPerM: 1 }
}
