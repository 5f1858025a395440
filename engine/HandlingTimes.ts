export type HandlingKind = 'pickup' | 'dropoff'

export interface HandlingTimesOptions {
  /** Observed handling times kept per kind (the newest). Default 200. */
  keep?: number
  /** How many observations the profile's handling time is worth. Default 3. */
  priorCount?: number
}

/** What HandlingTimes has learned, as JSON: per kind, the kept values (oldest slot first), the count and the running sum. */
export type HandlingState = Record<HandlingKind, { values: number[]; count: number; sum: number }>

/**
 * How long drones hover at pickups and at drop-offs, learned from the
 * dwells the engine sees (arrival to departure): the newest observations of
 * each kind, with the profile's handling time as a prior worth a few of them.
 * Gives the mean (for plans) and, for a drone already hovering, the mean time
 * still to wait given how long it has waited (a customer who is not at the
 * door keeps it longer). Pure.
 */
export class HandlingTimes {
  private readonly keep: number
  private readonly priorCount: number
  private readonly seen: Record<HandlingKind, { values: Float64Array; count: number; sum: number }>

  constructor(
    private readonly nominalS: number,
    o: HandlingTimesOptions = {},
  ) {
    this.keep = o.keep ?? 200
    this.priorCount = o.priorCount ?? 3
    const ring = () => ({ values: new Float64Array(this.keep), count: 0, sum: 0 })
    this.seen = { pickup: ring(), dropoff: ring() }
  }

  /** How many handling times of this kind were observed (all of them, not only those kept). */
  count(kind: HandlingKind): number {
    return this.seen[kind].count
  }

  observe(kind: HandlingKind, seconds: number): void {
    const r = this.seen[kind]
    const slot = r.count % this.keep
    if (r.count >= this.keep) r.sum -= r.values[slot]!
    r.values[slot] = seconds
    r.sum += seconds
    r.count++
  }

  /** What it has learned, as JSON. */
  save(): HandlingState {
    const one = (k: HandlingKind) => {
      const r = this.seen[k]
      return { values: Array.from(r.values.subarray(0, Math.min(r.count, this.keep))), count: r.count, sum: r.sum }
    }
    return { pickup: one('pickup'), dropoff: one('dropoff') }
  }

  /** Takes back what save() gave (checked by readLearnedState); kept with as many values as this one keeps. */
  load(s: HandlingState): void {
    for (const k of ['pickup', 'dropoff'] as const) {
      const r = this.seen[k]
      const from = s[k]
      r.values.fill(0)
      if (from.values.length === Math.min(from.count, this.keep)) {
        r.values.set(from.values)
        r.count = from.count
        r.sum = from.sum
      } else {
        // Saved from a ring of another size: rebuilt from its values, oldest (slot count % n) first.
        r.count = 0
        r.sum = 0
        const n = from.values.length
        for (let i = 0; i < n; i++) this.observe(k, from.values[(from.count + i) % n]!)
      }
    }
  }

  /** The mean handling time of this kind, s. */
  mean(kind: HandlingKind): number {
    const r = this.seen[kind]
    const n = Math.min(r.count, this.keep)
    return (r.sum + this.priorCount * this.nominalS) / (n + this.priorCount)
  }

  /** The mean time still to hover after `dwellS` of it: E[H − dwell | H > dwell], s. */
  remaining(kind: HandlingKind, dwellS: number): number {
    if (dwellS <= 0) return this.mean(kind)
    const r = this.seen[kind]
    const n = Math.min(r.count, this.keep)
    let sum = 0
    let k = 0
    for (let i = 0; i < n; i++) {
      const v = r.values[i]!
      if (v > dwellS) {
        sum += v - dwellS
        k++
      }
    }
    if (this.nominalS > dwellS) {
      sum += this.priorCount * (this.nominalS - dwellS)
      k += this.priorCount
    }
    // Longer than anything seen: it ends any moment now, as far as the evidence goes.
    return k > 0 ? sum / k : 0
  }
}
