import RBush from 'rbush'
import knn from 'rbush-knn'
import { haversineM } from '../protocol/geo.js'

/** Metres per degree of latitude, rounded down so boxes err on the large side. */
const M_PER_DEGREE = 111_000

interface Entry<T> {
  minX: number
  minY: number
  maxX: number
  maxY: number
  item: T
}

/**
 * Moving points in an R-tree (rbush), x = lon, y = lat. A move is remove then
 * insert; entries are kept per id so removal finds the exact object.
 */
export class FleetIndex<T> {
  private readonly tree = new RBush<Entry<T>>()
  private readonly entries = new Map<string, Entry<T>>()

  get size(): number {
    return this.entries.size
  }

  set(id: string, lat: number, lon: number, item: T): void {
    const old = this.entries.get(id)
    if (old) {
      if (old.minX === lon && old.minY === lat) {
        old.item = item
        return
      }
      this.tree.remove(old)
      old.minX = old.maxX = lon
      old.minY = old.maxY = lat
      old.item = item
      this.tree.insert(old)
      return
    }
    const e: Entry<T> = { minX: lon, minY: lat, maxX: lon, maxY: lat, item }
    this.entries.set(id, e)
    this.tree.insert(e)
  }

  delete(id: string): void {
    const e = this.entries.get(id)
    if (!e) return
    this.tree.remove(e)
    this.entries.delete(id)
  }

  /**
   * Up to k items passing `accept`, nearest first by great-circle distance.
   * The tree's kNN ranks by degrees, which stretch with latitude, so its k
   * answers only bound the radius; a box search of that radius then finds
   * the true k nearest.
   */
  nearest(lat: number, lon: number, k: number, accept: (item: T) => boolean): Array<{ item: T; distanceM: number }> {
    const first = knn(this.tree, lon, lat, k, (e: Entry<T>) => accept(e.item))
    if (first.length === 0) return []
    let radiusM = 0
    for (const e of first) radiusM = Math.max(radiusM, haversineM(lat, lon, e.minY, e.minX))
    if (first.length < k) return this.within(lat, lon, radiusM, accept)
    return this.within(lat, lon, radiusM, accept).slice(0, k)
  }

  /**
   * Items within radiusM of (lat, lon) passing `accept`, nearest first. Near
   * ±180° the box is split in two, so neighbours across the antimeridian count.
   */
  within(lat: number, lon: number, radiusM: number, accept: (item: T) => boolean = () => true): Array<{ item: T; distanceM: number }> {
    const dLat = radiusM / M_PER_DEGREE
    // A metre spans the most longitude at the box's edge nearest a pole.
    const edgeLat = Math.min(89.9, Math.abs(lat) + dLat)
    const dLon = Math.min(180, radiusM / (M_PER_DEGREE * Math.cos((edgeLat * Math.PI) / 180)))
    const minY = lat - dLat, maxY = lat + dLat
    let hits = this.tree.search({ minX: lon - dLon, minY, maxX: lon + dLon, maxY })
    if (dLon >= 180) hits = this.tree.search({ minX: -180, minY, maxX: 180, maxY })
    else if (lon - dLon < -180) hits = hits.concat(this.tree.search({ minX: lon - dLon + 360, minY, maxX: 180, maxY }))
    else if (lon + dLon > 180) hits = hits.concat(this.tree.search({ minX: -180, minY, maxX: lon + dLon - 360, maxY }))
    const out: Array<{ item: T; distanceM: number }> = []
    for (const e of hits) {
      if (!accept(e.item)) continue
      const distanceM = haversineM(lat, lon, e.minY, e.minX)
      if (distanceM <= radiusM) out.push({ item: e.item, distanceM })
    }
    return out.sort((a, b) => a.distanceM - b.distanceM)
  }
}
