import type { TrailPoint } from '../protocol/tracking.js'

/**
 * Where one delivery's drone has been, for the tracking page's trail, in a
 * fixed amount of memory: up to `capacity` points, thinned by half (every
 * other point dropped, the first and newest kept) each time it fills, so a
 * long flight keeps its whole shape at a coarser spacing rather than losing
 * its beginning. Points are kept flat in a Float64Array (lat, lon, ts, …).
 */
export class Trail {
  private p: Float64Array
  private n = 0

  constructor(readonly capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 4) throw new RangeError(`a trail holds at least 4 points, got ${capacity}`)
    this.p = new Float64Array(3 * Math.min(capacity, 16))
  }

  get length(): number {
    return this.n
  }

  push(lat: number, lon: number, ts: number): void {
    const last = 3 * (this.n - 1)
    // A drone hovering or waiting reports the same place again and again: one point says it, stamped with the latest time.
    if (this.n > 0 && this.p[last] === lat && this.p[last + 1] === lon) {
      this.p[last + 2] = Math.max(this.p[last + 2]!, ts)
      return
    }
    if (this.n === this.capacity) this.thin()
    if (3 * this.n === this.p.length) this.grow()
    this.p[3 * this.n] = lat
    this.p[3 * this.n + 1] = lon
    this.p[3 * this.n + 2] = ts
    this.n++
  }

  /** Keeps at most `max` points (thinning as on overflow) and gives back the spare memory: for a delivery that has ended. */
  shrink(max: number): void {
    while (this.n > Math.max(2, max)) this.thin()
    if (this.p.length > 3 * this.n) this.p = this.p.slice(0, 3 * this.n)
  }

  points(): TrailPoint[] {
    const out: TrailPoint[] = new Array(this.n)
    for (let i = 0; i < this.n; i++) out[i] = { lat: this.p[3 * i]!, lon: this.p[3 * i + 1]!, ts: this.p[3 * i + 2]! }
    return out
  }

  /** Drops every other point, keeping the first and the newest. */
  private thin(): void {
    const last = this.n - 1
    let k = 0
    for (let i = 0; i < last; i += 2, k++) this.p.copyWithin(3 * k, 3 * i, 3 * i + 3)
    this.p.copyWithin(3 * k, 3 * last, 3 * last + 3)
    this.n = k + 1
  }

  private grow(): void {
    const bigger = new Float64Array(Math.min(3 * this.capacity, Math.max(48, this.p.length * 2)))
    bigger.set(this.p)
    this.p = bigger
  }
}
