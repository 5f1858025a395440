import { stateCode } from '../../protocol/batchCodec.js'
import { DRONE_STATES, type TelemetryRejectReason, type TelemetrySample } from '../../protocol/telemetry.js'

/**
 * What the telemetry decoder thread (telemetryDecoderWorker.ts) hands the
 * engine's thread, in the order its messages arrived: decoded JSON samples
 * packed into frames of numbers in shared memory (FrameSlabs), and, as they
 * are, the messages it does not decode (batch frames, `sim/clock`, the lag
 * probe), so a clock never overtakes the telemetry sent before it.
 *
 * A sample is RECORD_FIELDS numbers: drone number, seq, ts, lat, lon, alt,
 * speed, heading, battery, state code. Drone ids are numbered by the decoder
 * the first time it sees them and sent once, in `ids` (`resetIds` starts the
 * numbering over: an endless stream of made-up ids cannot grow it forever).
 */
export type DecodedMessage =
  | {
      kind: 'samples'
      resetIds: boolean
      /** Ids numbered since the last frame, in number order. */
      ids: string[]
      count: number
      /** The shared slab holding the records (FrameSlabs), or -1 when they are in `records`. */
      slab: number
      records: Float64Array | null
      /** Record index → the delivery its drone refuses (rare: a sparse list). */
      refused: Array<[number, string]> | null
      /** Messages the decoder rejected since the last frame, by reason. */
      rejected: Partial<Record<TelemetryRejectReason, number>> | null
    }
  | { kind: 'raw'; topic: string; payload: Uint8Array }

export const RECORD_FIELDS = 10
/** Records per frame at most. */
export const FRAME_MAX = 1024
/** Past this many drone ids the decoder numbers them afresh. */
export const MAX_IDS = 1 << 20

/**
 * Shared memory the frames' records are written in, so that handing a
 * frame over copies and allocates nothing: the decoder takes a free slab,
 * fills it, and posts its number; the engine's thread reads it and frees
 * it. With every slab in use (the engine far behind) a frame falls back to
 * an array of its own, transferred.
 */
export class FrameSlabs {
  private readonly states: Int32Array
  private next = 0

  constructor(
    readonly records: SharedArrayBuffer = new SharedArrayBuffer(64 * FRAME_MAX * RECORD_FIELDS * 8),
    readonly state: SharedArrayBuffer = new SharedArrayBuffer(64 * 4),
  ) {
    this.states = new Int32Array(state)
  }

  get count(): number {
    return this.states.length
  }

  view(slab: number): Float64Array {
    return new Float64Array(this.records, slab * FRAME_MAX * RECORD_FIELDS * 8, FRAME_MAX * RECORD_FIELDS)
  }

  /** A free slab, now in use, or -1 (the decoder's side). */
  take(): number {
    for (let k = 0; k < this.states.length; k++) {
      const i = (this.next + k) % this.states.length
      if (Atomics.compareExchange(this.states, i, 0, 1) === 0) {
        this.next = (i + 1) % this.states.length
        return i
      }
    }
    return -1
  }

  /** The engine's thread is done with a slab. */
  release(slab: number): void {
    Atomics.store(this.states, slab, 0)
  }
}

/** Packs the samples of one frame (the decoder thread's side); at most FRAME_MAX, then it must be finished. */
export class DecodedFrameWriter {
  private readonly numbers = new Map<string, number>()
  private readonly views: Float64Array[]
  private ids: string[] = []
  private resetIds = false
  private slab = -1
  private records: Float64Array | null = null
  private n = 0
  private refused: Array<[number, string]> | null = null
  private rejected: Partial<Record<TelemetryRejectReason, number>> | null = null

  constructor(private readonly slabs: FrameSlabs) {
    this.views = Array.from({ length: slabs.count }, (_, i) => slabs.view(i))
  }

  get count(): number {
    return this.n
  }

  get full(): boolean {
    return this.n >= FRAME_MAX
  }

  /** Anything to send: samples or rejections. */
  get pending(): boolean {
    return this.n > 0 || this.rejected !== null
  }

  push(s: TelemetrySample): void {
    if (this.n >= FRAME_MAX) throw new RangeError(`a frame holds ${FRAME_MAX} samples at most`)
    let id = this.numbers.get(s.droneId)
    if (id === undefined) {
      id = this.numbers.size
      this.numbers.set(s.droneId, id)
      this.ids.push(s.droneId)
    }
    if (this.records === null) {
      this.slab = this.slabs.take()
      this.records = this.slab >= 0 ? (this.views[this.slab] as Float64Array) : new Float64Array(FRAME_MAX * RECORD_FIELDS)
    }
    const r = this.records
    const o = this.n * RECORD_FIELDS
    r[o] = id
    r[o + 1] = s.seq
    r[o + 2] = s.ts
    r[o + 3] = s.lat
    r[o + 4] = s.lon
    r[o + 5] = s.alt
    r[o + 6] = s.speed
    r[o + 7] = s.heading
    r[o + 8] = s.battery
    r[o + 9] = stateCode(s.state)
    if (s.refused !== undefined) (this.refused ??= []).push([this.n, s.refused])
    this.n++
  }

  reject(reason: TelemetryRejectReason): void {
    const r = (this.rejected ??= {})
    r[reason] = (r[reason] ?? 0) + 1
  }

  /** The frame so far, and the writer starts a new one. A frame not in a slab has its own `records`, to transfer. */
  finish(): DecodedMessage & { kind: 'samples' } {
    const frame = {
      kind: 'samples' as const,
      resetIds: this.resetIds,
      ids: this.ids,
      count: this.n,
      slab: this.slab,
      records: this.slab < 0 ? this.records : null,
      refused: this.refused,
      rejected: this.rejected,
    }
    this.slab = -1
    this.records = null
    this.ids = []
    this.n = 0
    this.refused = null
    this.rejected = null
    // Between frames, so every record goes with the numbering it was packed under.
    this.resetIds = this.numbers.size >= MAX_IDS
    if (this.resetIds) this.numbers.clear()
    return frame
  }
}

/** Reads frames into one reused sample (the engine's thread): the core copies what it keeps. */
export class DecodedFrameReader {
  private ids: string[] = []
  private readonly views: Float64Array[]
  private records: Float64Array | null = null

  constructor(private readonly slabs: FrameSlabs) {
    this.views = Array.from({ length: slabs.count }, (_, i) => slabs.view(i))
  }

  /** Takes a frame's ids and records; call once per frame before reading them, and close() after. */
  open(f: DecodedMessage & { kind: 'samples' }): void {
    if (f.resetIds) this.ids = []
    for (const id of f.ids) this.ids.push(id)
    this.records = f.slab >= 0 ? (this.views[f.slab] as Float64Array) : f.records
  }

  /** Done with the frame: its slab is free again. */
  close(f: DecodedMessage & { kind: 'samples' }): void {
    this.records = null
    if (f.slab >= 0) this.slabs.release(f.slab)
  }

  /** Record i of the open frame into `s` (its `refused` is left to the caller). */
  read(i: number, s: TelemetrySample): TelemetrySample {
    const r = this.records as Float64Array
    const o = i * RECORD_FIELDS
    s.droneId = this.ids[r[o] as number] as string
    s.seq = r[o + 1] as number
    s.ts = r[o + 2] as number
    s.lat = r[o + 3] as number
    s.lon = r[o + 4] as number
    s.alt = r[o + 5] as number
    s.speed = r[o + 6] as number
    s.heading = r[o + 7] as number
    s.battery = r[o + 8] as number
    s.state = DRONE_STATES[r[o + 9] as number] as TelemetrySample['state']
    return s
  }
}
