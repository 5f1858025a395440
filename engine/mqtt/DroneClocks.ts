/** Samples of a drone's clock its offset is estimated from. */
const WINDOW = 5
/** While the fleet is this small, a new drone recomputes the fleet's offset at once; beyond, the idle clock's tick does. */
const SMALL_FLEET = 64
/** One drone's slot: WINDOW values of ts − arrival (a ring), its offset, how many values, the next to write, refusals in a row. */
const OFFSET = WINDOW
const COUNT = WINDOW + 1
const NEXT = WINDOW + 2
const REJECTED = WINDOW + 3
const STRIDE = WINDOW + 4

/**
 * Each drone's clock against the adapter's wall clock, and the fleet's.
 *
 * A drone's offset is the median of (event time − arrival wall time) over
 * its last 5 samples: its clock's error plus its usual transit. One sample
 * stamped minutes ahead does not move it; a clock that really stepped is
 * followed from the third sample on. The fleet's offset is the lower median
 * of the drones' offsets, so the engine's event time is the time most drones
 * keep, whatever one of them says. Only differences of wall times and
 * differences of one drone's event times are used: no drone's clock is
 * assumed to agree with ours.
 *
 * A sample is *future* when it is ahead of both the fleet's clock and its
 * own drone's recent clock by more than `maxFutureMs`. A drone whose offset
 * differs from the fleet's by more than that is skewed: its samples are
 * moved into the fleet's time (by its offset), so it is supervised and its
 * events are stamped like everyone else's. Others keep their own ts.
 *
 * On the telemetry hot path: one map lookup and a few writes into one typed
 * array per sample (a slot per drone), nothing allocated.
 */
export class DroneClocks {
  private readonly slots = new Map<string, number>()
  private readonly free: number[] = []
  private data = new Float64Array(64 * STRIDE)
  private used = 0
  private readonly sorted = new Float64Array(WINDOW)
  private offsets = new Float64Array(64)
  private fleet: number | undefined

  constructor(private readonly maxFutureMs: number) {}

  /** Notes that drone `id`'s sample stamped `ts` arrived at wall time `at`; returns the drone's slot. */
  note(id: string, ts: number, at: number): number {
    let slot = this.slots.get(id)
    if (slot === undefined) {
      slot = this.take()
      this.slots.set(id, slot)
      if (this.slots.size <= SMALL_FLEET) this.fleet = undefined
    }
    const d = this.data
    const base = slot * STRIDE
    const next = d[base + NEXT] as number
    d[base + next] = ts - at
    d[base + NEXT] = (next + 1) % WINDOW
    const count = d[base + COUNT] as number
    if (count < WINDOW) d[base + COUNT] = count + 1
    d[base + OFFSET] = this.median(base)
    return slot
  }

  /**
   * Notes the sample and returns the event time to apply it at: its own ts,
   * or moved into the fleet's time when its drone is skewed; undefined when
   * it is future. A drone rejected WINDOW times in a row (a clock running
   * fast) has its estimate started anew, so it is never rejected for good.
   */
  admit(id: string, ts: number, at: number): number | undefined {
    const base = this.note(id, ts, at) * STRIDE
    const d = this.data
    const fleet = this.fleetOffset() as number
    const v = ts - at
    if (v > Math.max(fleet, d[base + OFFSET] as number) + this.maxFutureMs) {
      const rejected = (d[base + REJECTED] as number) + 1
      d[base + REJECTED] = rejected
      if (rejected < WINDOW) return undefined
      d[base] = v
      d[base + OFFSET] = v
      d[base + COUNT] = 1
      d[base + NEXT] = 1
    }
    d[base + REJECTED] = 0
    const skew = (d[base + OFFSET] as number) - fleet
    return skew > this.maxFutureMs || skew < -this.maxFutureMs ? ts - skew : ts
  }

  /** The fleet's offset (event time − wall time); undefined before any drone. */
  fleetOffset(): number | undefined {
    if (this.fleet === undefined && this.slots.size > 0) this.refresh()
    return this.fleet
  }

  /** Recomputes the fleet's offset from every drone's; returns it. */
  refresh(): number | undefined {
    const n = this.slots.size
    if (n === 0) return (this.fleet = undefined)
    if (this.offsets.length < n) this.offsets = new Float64Array(Math.max(n, 2 * this.offsets.length))
    let i = 0
    for (const slot of this.slots.values()) this.offsets[i++] = this.data[slot * STRIDE + OFFSET] as number
    const all = this.offsets.subarray(0, n).sort()
    return (this.fleet = all[(n - 1) >> 1])
  }

  /** Forgets a drone (one the engine does not keep). */
  forget(id: string): void {
    const slot = this.slots.get(id)
    if (slot === undefined) return
    this.slots.delete(id)
    this.free.push(slot)
    if (this.slots.size < SMALL_FLEET) this.fleet = undefined
  }

  /** A cleared slot: a freed one, or the next, growing the array. */
  private take(): number {
    const slot = this.free.pop() ?? this.used++
    if ((slot + 1) * STRIDE > this.data.length) {
      const grown = new Float64Array(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data.fill(0, slot * STRIDE, (slot + 1) * STRIDE)
    return slot
  }

  private median(base: number): number {
    const d = this.data
    const s = this.sorted
    const n = d[base + COUNT] as number
    for (let i = 0; i < n; i++) {
      const x = d[base + i] as number
      let j = i
      for (; j > 0 && (s[j - 1] as number) > x; j--) s[j] = s[j - 1] as number
      s[j] = x
    }
    return s[(n - 1) >> 1] as number
  }
}
