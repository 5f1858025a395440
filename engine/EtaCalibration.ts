/** What a prediction was made during: flying to (or handling at) the pickup, or with the package aboard. */
export type EtaPhase = 'toPickup' | 'toDropoff'

/**
 * Which estimate an error is of: the model's own (its median corrects the
 * model's bias), or the ETA as published, corrected and smoothed (its
 * percentiles are the window: smoothing makes it steadier than the model's).
 */
export type EtaKind = 'model' | 'published'

export interface EtaCalibrationOptions {
  /** Upper edges of the time-to-arrival buckets, s (the last bucket is open). Default every 15 s to 2 min, wider beyond, to 30 min (22 edges). */
  edgesS?: readonly number[]
  /** Errors kept per bucket (the newest). Default 30. */
  keep?: number
  /** Below this many errors (its own and borrowed) a bucket says nothing and the caller keeps its prior window. Default 20. */
  minErrors?: number
}

/** Error quantiles of a bucket, s (late is positive): the window is [estimate + lo, estimate + hi], its middle estimate + mid. */
export interface ErrorQuantiles {
  lo: number
  mid: number
  hi: number
  /**
   * The part of the median the errors show for sure: the bound of the
   * median's 95 % interval nearest to zero, or 0 when that interval holds
   * zero. What an estimate is corrected by: a median of a few dozen noisy
   * errors that moves with the weather would otherwise add its own noise.
   */
  bias: number
  /** Errors behind them. */
  n: number
}

interface Bucket {
  errors: Float64Array
  /** When each error was learned: the calibration's arrival count then. */
  when: Float64Array
  count: number
  /** Its errors (with any borrowed), sorted, as of `sortedAt`. */
  sorted: Float64Array | null
  sortedAt: number
}

/**
 * What an EtaCalibration has learned, as JSON: see LearnedState.ts. Kinds
 * and phases are numbered in the order of KINDS and PHASES.
 */
export interface CalibrationState {
  edgesS: number[]
  keep: number
  /** Arrivals learned from (what the errors' `when` counts). */
  arrivals: number
  /** Each bucket with errors: [kind, phase, index, count, ...its first n = min(count, keep) errors, ...when each was learned]. */
  buckets: number[][]
  /** Each open delivery's kept estimates: [id, [kind, phase, index, estimate, scaleS, off] for each]. */
  traces: Array<[string, number[][]]>
}

const KINDS: readonly EtaKind[] = ['model', 'published']
const PHASES: readonly EtaPhase[] = ['toPickup', 'toDropoff']
const KIND_NO: Readonly<Record<EtaKind, number>> = { model: 0, published: 1 }
const PHASE_NO: Readonly<Record<EtaPhase, number>> = { toPickup: 0, toDropoff: 1 }

/** An estimate a delivery keeps for one bucket. */
interface Mark {
  estimate: number
  scaleS: number
  /** How far its time to arrival was from the bucket's middle, s. */
  off: number
}

/** A delivery's marks by bucket number (see EtaCalibration.number): a sparse array, cheaper per sample than a map. */
type Trace = Array<Mark | undefined>

/** Deliveries followed at once, at most: the oldest traces are dropped past it (deliveries that never end). */
const MAX_TRACES = 100_000

/**
 * A P10–P90 window that means what it says. The engine's model estimates
 * are recorded as they are made; when the delivery arrives, each one's error
 * (arrival − estimate, relative to the time to arrival it gave) goes into a
 * bucket by phase and by that time. A bucket's 10th, 50th and 90th percentiles then turn a
 * fresh estimate into a window that about 80 % of arrivals fall inside, and a
 * middle that corrects the model's typical bias there. Pure: time is what it
 * is given.
 */
export class EtaCalibration {
  private readonly edges: readonly number[]
  private readonly keep: number
  private readonly minErrors: number
  private readonly buckets: Record<EtaKind, Record<EtaPhase, Bucket[]>>
  /** Every bucket by its number: (kind × 2 + phase) × buckets per row + index. */
  private readonly numbered: Bucket[]
  /** Bumped whenever errors are learned: sorted pools older than it are stale. */
  private version = 0
  /** Per open delivery, the estimate kept for each bucket it passed through. */
  private readonly traces = new Map<string, Trace>()
  /** The trace last asked for: an ETA records two estimates of one delivery in a row. */
  private lastId: string | null = null
  private lastTrace: Trace | null = null

  constructor(o: EtaCalibrationOptions = {}) {
    this.edges = o.edgesS ?? [15, 30, 45, 60, 75, 90, 105, 120, 150, 180, 210, 240, 270, 300, 360, 420, 480, 600, 720, 900, 1200, 1800]
    this.keep = o.keep ?? 30
    this.minErrors = o.minErrors ?? 20
    const row = (): Bucket[] =>
      Array.from({ length: this.edges.length + 1 }, () => ({
        errors: new Float64Array(this.keep),
        when: new Float64Array(this.keep),
        count: 0,
        sorted: null,
        sortedAt: -1,
      }))
    this.buckets = { model: { toPickup: row(), toDropoff: row() }, published: { toPickup: row(), toDropoff: row() } }
    this.numbered = KINDS.flatMap((kind) => PHASES.flatMap((phase) => this.buckets[kind][phase]))
  }

  /**
   * The error quantiles for an estimate this many seconds from arrival, or
   * null while too few errors are known: of the newest `keep` errors of the
   * bucket and its two neighbours in time to arrival. While those hold fewer
   * than minErrors, it borrows from further neighbours (nearest first), then
   * from the other phase: errors are kept relative to the time to arrival,
   * so a neighbour's say as much as they can until the bucket has its own.
   */
  quantiles(kind: EtaKind, phase: EtaPhase, remainingS: number): ErrorQuantiles | null {
    const i = this.index(remainingS)
    const b = this.buckets[kind][phase][i]!
    if (!b.sorted || b.sortedAt !== this.version) {
      const pool: Array<[number, number]> = []
      const take = (x: Bucket): void => {
        for (let k = 0, n = Math.min(x.count, this.keep); k < n; k++) pool.push([x.when[k]!, x.errors[k]!])
      }
      const row = this.buckets[kind][phase]
      take(b)
      for (let d = 1; (d === 1 || pool.length < this.minErrors) && d < row.length; d++) {
        if (i - d >= 0) take(row[i - d]!)
        if (i + d < row.length) take(row[i + d]!)
      }
      if (pool.length < this.minErrors) for (const x of this.buckets[kind][phase === 'toPickup' ? 'toDropoff' : 'toPickup']) take(x)
      // The newest `keep` of them: errors shrink as the engine learns (and grow as the wind rises), and a
      // bucket far from arrival fills slowly, so its own newest `keep` can be half an hour old.
      const newest = pool.length > this.keep ? pool.sort((x, y) => y[0] - x[0]).slice(0, this.keep) : pool
      b.sorted = Float64Array.from(newest, (e) => e[1]).sort()
      b.sortedAt = this.version
    }
    const n = b.sorted.length
    if (n < this.minErrors) return null
    const k = scale(remainingS)
    return {
      lo: quantile(b.sorted, 0.1) * k,
      mid: quantile(b.sorted, 0.5) * k,
      hi: quantile(b.sorted, 0.9) * k,
      bias: sureBias(b.sorted) * k,
      n,
    }
  }

  /**
   * Records an estimate `estimate` (ms) of this kind made at event time `ts`
   * for delivery `id`. Each delivery keeps one estimate per bucket (the one
   * nearest the bucket's middle): a delivery whose estimate lingers in a
   * bucket (because it is wrong) must not count more than one that passes
   * through, or the windows would be sized for the bad ones.
   */
  estimated(id: string, kind: EtaKind, phase: EtaPhase, ts: number, estimate: number): void {
    let tr = this.lastId === id ? this.lastTrace : this.traces.get(id)
    if (!tr) {
      if (this.traces.size >= MAX_TRACES) this.drop(this.traces.keys().next().value as string)
      this.traces.set(id, (tr = []))
    }
    this.lastId = id
    this.lastTrace = tr
    const remainingS = (estimate - ts) / 1000
    const i = this.index(remainingS)
    const no = this.number(KIND_NO[kind], PHASE_NO[phase], i)
    const off = Math.abs(remainingS - this.middle(i))
    const kept = tr[no]
    if (!kept) tr[no] = { estimate, scaleS: scale(remainingS), off }
    else if (off < kept.off) {
      // In place: these live as long as the delivery, and a new object per sample would be old garbage.
      kept.estimate = estimate
      kept.scaleS = scale(remainingS)
      kept.off = off
    }
  }

  /** The delivery arrived at `actual` (ms): its estimates' errors are learned. */
  arrived(id: string, actual: number): void {
    const tr = this.traces.get(id)
    this.drop(id)
    if (!tr) return
    tr.forEach((e, no) => {
      if (!e) return
      const b = this.numbered[no]!
      b.errors[b.count % this.keep] = (actual - e.estimate) / 1000 / e.scaleS
      b.when[b.count % this.keep] = this.version
      b.count++
    })
    this.version++
  }

  /** The delivery ended without arriving (cancelled, failed): its estimates teach nothing. */
  forget(id: string): void {
    this.drop(id)
  }

  private drop(id: string): void {
    this.traces.delete(id)
    if (this.lastId === id) {
      this.lastId = null
      this.lastTrace = null
    }
  }

  /** What it has learned, as JSON. */
  save(): CalibrationState {
    const buckets: number[][] = []
    const row = this.edges.length + 1
    const where = (no: number): number[] => [Math.floor(no / (2 * row)), Math.floor(no / row) % 2, no % row]
    this.numbered.forEach((b, no) => {
      const n = Math.min(b.count, this.keep)
      if (n > 0) buckets.push([...where(no), b.count, ...b.errors.subarray(0, n), ...b.when.subarray(0, n)])
    })
    const traces: CalibrationState['traces'] = []
    for (const [id, tr] of this.traces) {
      const marks: number[][] = []
      tr.forEach((e, no) => {
        if (e) marks.push([...where(no), e.estimate, e.scaleS, e.off])
      })
      traces.push([id, marks])
    }
    return { edgesS: [...this.edges], keep: this.keep, arrivals: this.version, buckets, traces }
  }

  /**
   * Takes back what save() gave (checked by readLearnedState). Errors kept
   * with other buckets or another ring size are left out: they would land
   * in the wrong place.
   */
  load(s: CalibrationState): void {
    this.traces.clear()
    this.lastId = null
    this.lastTrace = null
    for (const b of this.numbered) {
      b.count = 0
      b.sorted = null
    }
    // Where the saving one was: errors learned from now on are newer than every one taken back (and the sorted pools are gone).
    this.version = s.arrivals
    const same = s.keep === this.keep && s.edgesS.length === this.edges.length && s.edgesS.every((e, i) => e === this.edges[i])
    if (!same) return
    const row = this.edges.length + 1
    const valid = (k: number, p: number, i: number): boolean =>
      Number.isInteger(k) && Number.isInteger(p) && Number.isInteger(i) && k >= 0 && k < 2 && p >= 0 && p < 2 && i >= 0 && i < row
    for (const [k, p, i, count, ...slots] of s.buckets) {
      if (!valid(k!, p!, i!)) continue
      const b = this.numbered[this.number(k!, p!, i!)]!
      const n = slots.length / 2
      b.errors.fill(0)
      b.when.fill(0)
      b.errors.set(slots.slice(0, n))
      b.when.set(slots.slice(n))
      b.count = count!
    }
    for (const [id, marks] of s.traces) {
      const tr: Trace = []
      for (const [k, p, i, estimate, scaleS, off] of marks) {
        if (valid(k!, p!, i!)) tr[this.number(k!, p!, i!)] = { estimate: estimate!, scaleS: scaleS!, off: off! }
      }
      this.traces.set(id, tr)
    }
  }

  /** The number of bucket i of a kind and phase (their indexes in KINDS and PHASES). */
  private number(kind: number, phase: number, i: number): number {
    return (kind * 2 + phase) * (this.edges.length + 1) + i
  }

  /** The bucket of an estimate this many seconds from arrival: the first whose upper edge it does not exceed (binary search). */
  private index(remainingS: number): number {
    let lo = 0
    let hi = this.edges.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (remainingS > this.edges[mid]!) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The middle of bucket i, s (the open last one: its lower edge). */
  private middle(i: number): number {
    const lo = i === 0 ? 0 : this.edges[i - 1]!
    return i < this.edges.length ? (lo + this.edges[i]!) / 2 : lo
  }
}

/**
 * Errors are kept in units of the time to arrival (plus 20 s, for what
 * does not grow with it, such as handling): within a bucket an estimate made
 * further out errs by more, and a window scaled so fits each one.
 */
const SCALE_OFFSET_S = 20

function scale(remainingS: number): number {
  return Math.max(0, remainingS) + SCALE_OFFSET_S
}

/**
 * The q-quantile as the prediction interval of order statistics has it
 * ("type 6": rank (n + 1)q, interpolated): a new error falls below the k-th
 * of n sorted ones with chance k / (n + 1), so [q0.1, q0.9] holds 80 % of new
 * errors even from a few dozen; the usual "type 7" would draw it narrower.
 */
function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length
  const h = Math.min(n - 1, Math.max(0, (n + 1) * q - 1))
  const lo = Math.floor(h)
  const hi = Math.min(n - 1, lo + 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

/**
 * The bound of the median's 95 % interval nearest to zero, or 0 when the
 * interval holds zero. The interval is the distribution-free one of order
 * statistics: ranks n/2 ∓ 0.98·√n (the sign test's), so it needs no
 * assumption about the errors' shape (absent customers make it skewed).
 */
function sureBias(sorted: Float64Array): number {
  const n = sorted.length
  const half = 0.98 * Math.sqrt(n)
  const low = sorted[Math.max(0, Math.floor(n / 2 - half) - 1)]!
  const high = sorted[Math.min(n - 1, Math.ceil(n / 2 + half) - 1)]!
  return low > 0 ? low : Math.min(high, 0)
}
