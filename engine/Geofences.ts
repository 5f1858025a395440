import RBush from 'rbush'
import type { LatLon, Zone } from '../protocol/geo.js'
import { wrapLon } from '../protocol/geo.js'
import { M_PER_DEG, mPerDegLon, Ring } from './Ring.js'

/** A zone known to the index, with its ring and what routes computed about it. */
export interface ZoneEntry {
  zone: Zone
  ring: Ring
  /** Turning points around it for routes (vertices buffered beyond the clearance), computed on first use. */
  turns: LatLon[] | null
}

/**
 * A zone's box in the tree (degrees, x = lon), widened by the exit band so a
 * drone leaving it is still found. A zone across ±180° has two: one each side.
 */
interface ZoneBox {
  minX: number
  minY: number
  maxX: number
  maxY: number
  entry: ZoneEntry
}

/** The exit band when none is given, m: wide enough for GPS noise of ±15 m. */
export const DEFAULT_EXIT_BAND_M = 30

export interface GeofenceOptions {
  /**
   * How far outside a zone a drone inside it must be seen before it counts as
   * having left, m. A drone enters as soon as a sample is inside; it exits
   * only beyond this band, so GPS noise of ±15 m at a boundary (a 30 m spread)
   * yields at most one entry and never a flapping sequence. Default 30.
   */
  exitBandM?: number
}

/**
 * Zones and, per drone, which of them it is in. Entry is immediate (for a
 * no-fly zone an early alarm is the safe side); exit waits for the band.
 */
export class Geofences {
  readonly exitBandM: number
  private readonly tree = new RBush<ZoneBox>()
  private readonly byId = new Map<string, { entry: ZoneEntry; boxes: ZoneBox[] }>()
  /** Reused point query box: update() runs on every telemetry sample. */
  private readonly probe = { minX: 0, minY: 0, maxX: 0, maxY: 0 }

  constructor(o: GeofenceOptions = {}) {
    this.exitBandM = o.exitBandM ?? DEFAULT_EXIT_BAND_M
  }

  get size(): number {
    return this.byId.size
  }

  /** Adds a zone or replaces the one with its id. The polygon must be valid (polygonProblems). */
  set(zone: Zone): void {
    this.delete(zone.id)
    const ring = new Ring(zone.polygon)
    const entry: ZoneEntry = { zone, ring, turns: null }
    const padLat = this.exitBandM / M_PER_DEG
    // The band spans the most longitude at the box's edge nearest a pole.
    const padLon = this.exitBandM / mPerDegLon(Math.min(90, Math.max(Math.abs(ring.minLat), Math.abs(ring.maxLat)) + padLat))
    const box = (shift: number): ZoneBox => ({
      minX: ring.minLon - padLon + shift,
      minY: ring.minLat - padLat,
      maxX: ring.maxLon + padLon + shift,
      maxY: ring.maxLat + padLat,
      entry,
    })
    const boxes = [box(0)]
    if (boxes[0]!.minX < -180) boxes.push(box(360))
    if (boxes[0]!.maxX > 180) boxes.push(box(-360))
    this.byId.set(zone.id, { entry, boxes })
    for (const b of boxes) this.tree.insert(b)
  }

  delete(id: string): boolean {
    const e = this.byId.get(id)
    if (!e) return false
    for (const b of e.boxes) this.tree.remove(b)
    this.byId.delete(id)
    return true
  }

  get(id: string): Zone | undefined {
    return this.byId.get(id)?.entry.zone
  }

  list(): Zone[] {
    return [...this.byId.values()].map((e) => e.entry.zone)
  }

  /** The first no-fly zone containing the point, if any. */
  noFlyAt(lat: number, lon: number): Zone | undefined {
    return this.at(lat, lon).find((e) => e.zone.noFly && e.ring.contains(lat, lon))?.zone
  }

  /**
   * No-fly zones whose box meets the given box (degrees). The longitudes may
   * run past ±180° (a box unwrapped around a route across the antimeridian):
   * the part beyond is searched on the other side.
   */
  noFlyIn(minLat: number, minLon: number, maxLat: number, maxLon: number): ZoneEntry[] {
    const found = new Set<ZoneEntry>()
    const search = (lo: number, hi: number): void => {
      for (const b of this.tree.search({ minX: lo, minY: minLat, maxX: hi, maxY: maxLat })) if (b.entry.zone.noFly) found.add(b.entry)
    }
    if (maxLon - minLon >= 360) search(-180, 180)
    else {
      search(minLon, maxLon)
      if (minLon < -180) search(minLon + 360, maxLon + 360)
      if (maxLon > 180) search(minLon - 360, maxLon - 360)
    }
    return [...found]
  }

  /**
   * Moves a drone's zone membership to its new position: `inside` is what it
   * was in (null for none), the result what it is in now. `onChange` hears
   * each entry and exit. Allocates nothing when nothing is near.
   */
  update(inside: string[] | null, lat: number, lon: number, onChange: (zoneId: string, entered: boolean) => void): string[] | null {
    const near = this.byId.size === 0 ? EMPTY : this.at(lat, lon)
    if (near.length === 0 && inside === null) return null
    let now = inside
    if (inside !== null) {
      for (const id of inside) {
        const e = this.byId.get(id)?.entry
        // A removed zone, or one whose widened box the drone has left, is exited.
        const stay = e !== undefined && near.includes(e) && e.ring.signedDistanceM(lat, lon) >= -this.exitBandM
        if (!stay) {
          now = now!.filter((z) => z !== id)
          onChange(id, false)
        }
      }
    }
    for (const e of near) {
      if (now?.includes(e.zone.id)) continue
      if (e.ring.contains(lat, lon)) {
        now = now === null ? [e.zone.id] : [...now, e.zone.id]
        onChange(e.zone.id, true)
      }
    }
    return now !== null && now.length === 0 ? null : now
  }

  private at(lat: number, lon: number): ZoneEntry[] {
    const p = this.probe
    p.minX = p.maxX = wrapLon(lon)
    p.minY = p.maxY = lat
    const boxes = this.tree.search(p)
    if (boxes.length === 0) return EMPTY
    // A point meets at most one box of each zone: one box per zone does not span 360°.
    return boxes.map((b) => b.entry)
  }
}

const EMPTY: ZoneEntry[] = []
