import RBush from 'rbush'
import type { LatLon, Zone } from '../protocol/geo.js'
import { M_PER_DEG, Ring } from './Ring.js'

/** A zone in the index: its box widened by the exit band, so a drone leaving it is still found. */
export interface ZoneEntry {
  minX: number
  minY: number
  maxX: number
  maxY: number
  zone: Zone
  ring: Ring
  /** Turning points around it for routes (vertices buffered by the clearance), computed on first use. */
  turns: LatLon[] | null
  /** The zone buffered by half the clearance: what route segments may not enter. */
  guard: LatLon[] | null
}

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
  private readonly tree = new RBush<ZoneEntry>()
  private readonly byId = new Map<string, ZoneEntry>()
  /** Reused point query box: update() runs on every telemetry sample. */
  private readonly probe = { minX: 0, minY: 0, maxX: 0, maxY: 0 }

  constructor(o: GeofenceOptions = {}) {
    this.exitBandM = o.exitBandM ?? 30
  }

  get size(): number {
    return this.byId.size
  }

  /** Adds a zone or replaces the one with its id. The polygon must be valid (polygonProblems). */
  set(zone: Zone): void {
    this.delete(zone.id)
    const ring = new Ring(zone.polygon)
    const padLat = this.exitBandM / M_PER_DEG
    const padLon = this.exitBandM / ring.kx
    const e: ZoneEntry = {
      minX: ring.minLon - padLon, minY: ring.minLat - padLat, maxX: ring.maxLon + padLon, maxY: ring.maxLat + padLat,
      zone, ring, turns: null, guard: null,
    }
    this.byId.set(zone.id, e)
    this.tree.insert(e)
  }

  delete(id: string): boolean {
    const e = this.byId.get(id)
    if (!e) return false
    this.tree.remove(e)
    this.byId.delete(id)
    return true
  }

  get(id: string): Zone | undefined {
    return this.byId.get(id)?.zone
  }

  list(): Zone[] {
    return [...this.byId.values()].map((e) => e.zone)
  }

  /** The first no-fly zone containing the point, if any. */
  noFlyAt(lat: number, lon: number): Zone | undefined {
    return this.at(lat, lon).find((e) => e.zone.noFly && e.ring.contains(lat, lon))?.zone
  }

  /** No-fly zones whose box meets the given box (degrees). */
  noFlyIn(minLat: number, minLon: number, maxLat: number, maxLon: number): ZoneEntry[] {
    return this.tree.search({ minX: minLon, minY: minLat, maxX: maxLon, maxY: maxLat }).filter((e) => e.zone.noFly)
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
        const e = this.byId.get(id)
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
    p.minX = p.maxX = lon
    p.minY = p.maxY = lat
    return this.tree.search(p)
  }
}

const EMPTY: ZoneEntry[] = []
