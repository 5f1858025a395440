import { buffer } from '@turf/buffer'
import { polygon as turfPolygon } from '@turf/helpers'
import { haversineM, type LatLon } from '../protocol/geo.js'
import type { Geofences, ZoneEntry } from './Geofences.js'
import { containsXY, M_PER_DEG, segmentsCross } from './Ring.js'

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

export interface RoutePlannerOptions {
  /** How far from a no-fly zone routes turn, m (the buffer of the visibility graph). Default 60. */
  clearanceM?: number
}

/** A polygon in a route's frame, with its bounding box. */
interface Poly {
  xs: Float64Array
  ys: Float64Array
  minX: number
  minY: number
  maxX: number
  maxY: number
}

/**
 * An obstacle of one search, projected into a frame shared by the whole
 * route. Segments must stay out of `guard` (the zone buffered by half the
 * clearance), except a segment from or to an end point that lies inside the
 * guard (a pickup close to a zone), which need only stay out of the zone.
 */
interface Obstacle {
  entry: ZoneEntry
  zone: Poly
  guard: Poly
  holdsFrom: boolean
  holdsTo: boolean
}

/** How many times a search may grow its obstacle set before it gives up (a maze of zones). */
const MAX_ROUNDS = 12

/**
 * Routes around no-fly zones: the shortest path over a visibility graph whose
 * nodes are the vertices of the zones buffered by the clearance (turf), and
 * whose edges are the straight lines that cross no zone. The search starts
 * with the zones the straight line crosses and adds any zone a found path
 * crosses until the path is clear, so far-away zones cost nothing.
 */
export class RoutePlanner {
  readonly clearanceM: number

  constructor(private readonly zones: Geofences, o: RoutePlannerOptions = {}) {
    this.clearanceM = o.clearanceM ?? 60
  }

  /** The shortest route, or undefined when the zones leave no way through. */
  route(from: LatLon, to: LatLon): Route | undefined {
    if (this.zones.size === 0) return straightRoute(from, to)
    // A zone that holds an end point (a drone caught inside one added after it took off) does not trap it.
    const ignore = (e: ZoneEntry): boolean => e.ring.contains(from.lat, from.lon) || e.ring.contains(to.lat, to.lon)
    const frame = new Frame((from.lat + to.lat) / 2, (from.lon + to.lon) / 2)
    const set = new Map<string, Obstacle>()
    let path: LatLon[] = [from, to]
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const added = this.blockers(path, frame, set, ignore, from, to)
      if (added === 0) return toRoute(from, path.slice(1))
      const found = shortestPath(from, to, [...set.values()], frame, (e) => this.buffered(e).turns)
      if (!found) return undefined
      path = found
    }
    return undefined
  }

  /** Adds to `set` every zone some segment of `path` crosses; returns how many it added. */
  private blockers(path: LatLon[], frame: Frame, set: Map<string, Obstacle>, ignore: (e: ZoneEntry) => boolean, from: LatLon, to: LatLon): number {
    let added = 0
    for (let i = 1; i < path.length; i++) {
      const a = path[i - 1]!, b = path[i]!
      const near = this.zones.noFlyIn(Math.min(a.lat, b.lat), Math.min(a.lon, b.lon), Math.max(a.lat, b.lat), Math.max(a.lon, b.lon))
      for (const e of near) {
        if (set.has(e.zone.id) || ignore(e)) continue
        const o = frame.obstacle(e, this.buffered(e).guard, from, to)
        if (blocks(o, frame.x(a.lon), frame.y(a.lat), frame.x(b.lon), frame.y(b.lat), i === 1, i === path.length - 1)) {
          set.set(e.zone.id, o)
          added++
        }
      }
    }
    return added
  }

  /** The zone's turning points and guard ring (turf buffers), made once per zone. */
  private buffered(e: ZoneEntry): { turns: LatLon[]; guard: LatLon[] } {
    if (!e.turns || !e.guard) {
      e.turns = bufferRing(e.zone.polygon, this.clearanceM)
      e.guard = bufferRing(e.zone.polygon, this.clearanceM / 2)
    }
    return { turns: e.turns, guard: e.guard }
  }
}

/** The polygon grown by `m` metres: two steps per quarter circle, so a few points per corner. */
function bufferRing(polygon: LatLon[], m: number): LatLon[] {
  const ring = polygon.map((p) => [p.lon, p.lat])
  const first = ring[0]!, last = ring[ring.length - 1]!
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push(first)
  const b = buffer(turfPolygon([ring]), m, { units: 'meters', steps: 2 })
  const coords = b?.geometry.type === 'Polygon' ? b.geometry.coordinates[0]! : b?.geometry.type === 'MultiPolygon' ? b.geometry.coordinates.flatMap((p) => p[0]!) : []
  return coords.slice(0, -1).map(([lon, lat]) => ({ lat: lat!, lon: lon! }))
}

/** An equirectangular frame in metres around a route's midpoint. */
class Frame {
  private readonly kx: number
  constructor(private readonly lat0: number, private readonly lon0: number) {
    this.kx = M_PER_DEG * Math.cos((lat0 * Math.PI) / 180)
  }

  x(lon: number): number {
    return (lon - this.lon0) * this.kx
  }

  y(lat: number): number {
    return (lat - this.lat0) * M_PER_DEG
  }

  poly(pts: readonly LatLon[]): Poly {
    const xs = new Float64Array(pts.length), ys = new Float64Array(pts.length)
    pts.forEach((p, i) => { xs[i] = this.x(p.lon); ys[i] = this.y(p.lat) })
    return { xs, ys, minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) }
  }

  obstacle(entry: ZoneEntry, guardPts: readonly LatLon[], from: LatLon, to: LatLon): Obstacle {
    const guard = this.poly(guardPts)
    return {
      entry, zone: this.poly(entry.zone.polygon), guard,
      holdsFrom: containsXY(guard.xs, guard.ys, this.x(from.lon), this.y(from.lat)),
      holdsTo: containsXY(guard.xs, guard.ys, this.x(to.lon), this.y(to.lat)),
    }
  }
}

/**
 * Whether segment ab enters the obstacle (its guard, or only the zone for a
 * segment leaving `from` or reaching `to` inside the guard): it crosses an
 * edge, or runs inside between vertices.
 */
function blocks(o: Obstacle, ax: number, ay: number, bx: number, by: number, fromStart: boolean, toEnd: boolean): boolean {
  const poly = (fromStart && o.holdsFrom) || (toEnd && o.holdsTo) ? o.zone : o.guard
  // Most segments pass far from most obstacles: a box test first.
  if (Math.max(ax, bx) < poly.minX || Math.min(ax, bx) > poly.maxX || Math.max(ay, by) < poly.minY || Math.min(ay, by) > poly.maxY) return false
  const { xs, ys } = poly
  const n = xs.length
  for (let i = 0, j = n - 1; i < n; j = i++) {
    if (segmentsCross(ax, ay, bx, by, xs[j]!, ys[j]!, xs[i]!, ys[i]!)) return true
  }
  // No proper crossing: only a segment that touches vertices can still be inside; sample it.
  for (const f of [0.25, 0.5, 0.75]) {
    if (containsXY(xs, ys, ax + (bx - ax) * f, ay + (by - ay) * f)) return true
  }
  return false
}

/**
 * A* over the visibility graph of `from`, `to` and the turning points of the
 * obstacles; edges are found lazily as nodes are expanded. Returns the
 * points from `from` to `to`, or undefined when `to` cannot be reached.
 */
function shortestPath(from: LatLon, to: LatLon, obstacles: Obstacle[], frame: Frame, turnsOf: (e: ZoneEntry) => LatLon[]): LatLon[] | undefined {
  const nodes: LatLon[] = [from, to]
  for (const o of obstacles) {
    for (const p of turnsOf(o.entry)) {
      const x = frame.x(p.lon), y = frame.y(p.lat)
      // A turning point inside another zone's guard (zones that overlap or nearly touch) is no use.
      if (!obstacles.some((q) => containsXY(q.guard.xs, q.guard.ys, x, y))) nodes.push(p)
    }
  }
  const n = nodes.length
  const xs = nodes.map((p) => frame.x(p.lon)), ys = nodes.map((p) => frame.y(p.lat))
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
      if (!done[i] && g[i]! + h[i]! < best) { best = g[i]! + h[i]!; u = i }
    }
    if (u < 0) return undefined
    if (u === 1) break
    done[u] = 1
    for (let v = 0; v < n; v++) {
      if (done[v] || v === u) continue
      const w = g[u]! + Math.hypot(xs[v]! - xs[u]!, ys[v]! - ys[u]!)
      if (w >= g[v]!) continue
      if (obstacles.some((o) => blocks(o, xs[u]!, ys[u]!, xs[v]!, ys[v]!, u === 0, v === 1))) continue
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
    const a = waypoints[i]!, b = waypoints[i + 1]!
    rest[i] = rest[i + 1]! + haversineM(a.lat, a.lon, b.lat, b.lon)
  }
  const first = waypoints[0]!
  return { waypoints, rest, lengthM: haversineM(from.lat, from.lon, first.lat, first.lon) + rest[0]!, airPerM: 1 }
}
