import RBush from 'rbush'
import knn from 'rbush-knn'
import { haversineM } from '../protocol/geo.js'

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
   * The tree ranks by degrees, which stretch with latitude, so we take a few
   * more candidates than asked and re-rank them with haversine.
   */
  nearest(lat: number, lon: number, k: number, accept: (item: T) => boolean): Array<{ item: T; distanceM: number }> {
    const found = knn(this.tree, lon, lat, k * 2 + 4, (e: Entry<T>) => accept(e.item))
    return found
      .map((e) => ({ item: e.item, distanceM: haversineM(lat, lon, e.minY, e.minX) }))
      .sort((a, b) => a.distanceM - b.distanceM)
      .slice(0, k)
  }

  /** Items within radiusM of (lat, lon), nearest first. */
  within(lat: number, lon: number, radiusM: number): Array<{ item: T; distanceM: number }> {
    const dLat = radiusM / 111_320
    const dLon = radiusM / (111_320 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)))
    return this.tree
      .search({ minX: lon - dLon, minY: lat - dLat, maxX: lon + dLon, maxY: lat + dLat })
      .map((e) => ({ item: e.item, distanceM: haversineM(lat, lon, e.minY, e.minX) }))
      .filter((r) => r.distanceM <= radiusM)
      .sort((a, b) => a.distanceM - b.distanceM)
  }
}
