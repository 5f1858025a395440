import { DronefleetError, ErrorCodes } from './errors.js'
import { wrapLon } from './geo.js'
import { DRONE_STATES, type DroneState, type TelemetryRejectReason, type TelemetrySample } from './telemetry.js'

/**
 * The binary telemetry batch: the fast path on `telemetry-batch/{shard}`.
 *
 * A 16-byte header, then `count` fixed 48-byte records, little-endian:
 *
 *   header  0 u16 magic 0xDF0B   2 u8 version (1)   3 u8 flags (0)
 *           4 u32 count          8 u32 shard        12 u32 reserved (0)
 *   record  0 f64 ts (ms)        8 f64 lat          16 f64 lon
 *          24 f32 alt (m)       28 f32 speed (m/s)  32 u16 heading (0.01°)
 *          34 u8 state          35 u8 reserved     36 f32 battery (0..1)
 *          40 u32 drone number  44 u32 seq
 *
 * Drones are numbered: number n is the drone `d-n`, the simulator's ids.
 * Records are read in place through a DataView (MQTT payloads need not be
 * aligned). A frame whose header or length is wrong is rejected whole. A
 * record with a value no sample could have (a longitude past 180°, a NaN)
 * costs that record only: openBatch marks it, and the reader of a
 * 1,000-drone frame skips it and counts it (decodeBatch, for tools and
 * tests, still refuses the frame and names it). A longitude of 180° reads as
 * -180°: one name for one meridian.
 */
export const BATCH_MAGIC = 0xdf0b
export const BATCH_VERSION = 1
export const HEADER_BYTES = 16
export const RECORD_BYTES = 48
/** Large enough for any shard; a bigger count is taken as corruption. */
export const MAX_RECORDS = 1_000_000

export type BatchRejectReason = 'truncated' | 'magic' | 'version' | 'record'

export class BatchError extends DronefleetError {
  readonly reason: BatchRejectReason
  constructor(reason: BatchRejectReason, message: string, field?: string, value?: unknown) {
    super(ErrorCodes.TELEMETRY_INVALID, message, field, value)
    this.name = 'BatchError'
    this.reason = reason
  }
}

const STATE_CODE: Readonly<Record<DroneState, number>> = Object.fromEntries(DRONE_STATES.map((s, i) => [s, i])) as Record<
  DroneState,
  number
>

export function stateCode(s: DroneState): number {
  return STATE_CODE[s]
}

/** The id of drone number n. */
export function batchDroneId(n: number): string {
  return `d-${n}`
}

/** Fills a frame record by record; reuse one writer per shard to avoid allocation. */
export class BatchWriter {
  private buf: Buffer
  private view: DataView
  private n = 0

  constructor(
    capacity: number,
    private readonly shard = 0,
  ) {
    this.buf = Buffer.alloc(HEADER_BYTES + capacity * RECORD_BYTES)
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
  }

  get count(): number {
    return this.n
  }

  reset(): void {
    this.n = 0
  }

  push(
    drone: number,
    seq: number,
    ts: number,
    lat: number,
    lon: number,
    alt: number,
    speed: number,
    heading: number,
    battery: number,
    state: number,
  ): void {
    if (HEADER_BYTES + (this.n + 1) * RECORD_BYTES > this.buf.byteLength) this.grow()
    const v = this.view
    const o = HEADER_BYTES + this.n * RECORD_BYTES
    v.setFloat64(o, ts, true)
    v.setFloat64(o + 8, lat, true)
    v.setFloat64(o + 16, lon, true)
    v.setFloat32(o + 24, alt, true)
    v.setFloat32(o + 28, speed, true)
    v.setUint16(o + 32, Math.round(heading * 100) % 36000, true)
    v.setUint8(o + 34, state)
    v.setUint8(o + 35, 0)
    v.setFloat32(o + 36, battery, true)
    v.setUint32(o + 40, drone, true)
    v.setUint32(o + 44, seq, true)
    this.n++
  }

  /** Appends an encoded record as it is: the first 48 bytes of `record` (e.g. a slice of another frame) are copied. */
  pushRecord(record: Uint8Array): void {
    if (record.byteLength < RECORD_BYTES) throw new RangeError(`a record is ${RECORD_BYTES} bytes, got ${record.byteLength}`)
    if (HEADER_BYTES + (this.n + 1) * RECORD_BYTES > this.buf.byteLength) this.grow()
    this.buf.set(record.subarray(0, RECORD_BYTES), HEADER_BYTES + this.n * RECORD_BYTES)
    this.n++
  }

  /** The frame so far, as a view of the writer's buffer (copy it if you keep it past the next reset). */
  finish(): Buffer {
    const v = this.view
    v.setUint16(0, BATCH_MAGIC, true)
    v.setUint8(2, BATCH_VERSION)
    v.setUint8(3, 0)
    v.setUint32(4, this.n, true)
    v.setUint32(8, this.shard, true)
    v.setUint32(12, 0, true)
    return this.buf.subarray(0, HEADER_BYTES + this.n * RECORD_BYTES)
  }

  private grow(): void {
    const bigger = Buffer.alloc(this.buf.byteLength * 2)
    this.buf.copy(bigger)
    this.buf = bigger
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength)
  }
}

/** The fields of a record, in the order they are checked; a bad record is marked with its first bad field's number + 1. */
const FIELDS = ['ts', 'lat', 'lon', 'alt', 'speed', 'heading', 'state', 'battery'] as const
export type BatchField = (typeof FIELDS)[number]

/** Reads records of a checked frame in place. */
export class BatchReader {
  readonly count: number
  readonly shard: number
  private readonly v: DataView
  /** Per record, 0 when it is fine, else 1 + the index in FIELDS of its first bad field; null when every record is fine. */
  private readonly marks: Uint8Array | null
  /** How many records are bad (skipped by readers that check valid()). */
  readonly badCount: number

  /** Use openBatch or decodeBatch, which check the frame first. */
  constructor(view: DataView, marks: Uint8Array | null = null, badCount = 0) {
    this.v = view
    this.count = view.getUint32(4, true)
    this.shard = view.getUint32(8, true)
    this.marks = marks
    this.badCount = badCount
  }

  /** Whether record i holds values a sample may have (false: skip it, and count rejectReason(i)). */
  valid(i: number): boolean {
    return this.marks === null || this.marks[i] === 0
  }
  /** The first field of record i that no valid sample could have, or undefined. */
  badField(i: number): BatchField | undefined {
    return this.marks === null || this.marks[i] === 0 ? undefined : FIELDS[this.marks[i]! - 1]
  }
  /** Why record i is refused, as the telemetry metric names it: an unknown state is a type error, any other bad value out of range. */
  rejectReason(i: number): TelemetryRejectReason | undefined {
    const f = this.badField(i)
    return f === undefined ? undefined : f === 'state' ? 'type' : 'range'
  }

  ts(i: number): number {
    return this.v.getFloat64(HEADER_BYTES + i * RECORD_BYTES, true)
  }
  lat(i: number): number {
    return this.v.getFloat64(HEADER_BYTES + i * RECORD_BYTES + 8, true)
  }
  lon(i: number): number {
    return wrapLon(this.v.getFloat64(HEADER_BYTES + i * RECORD_BYTES + 16, true))
  }
  alt(i: number): number {
    return this.v.getFloat32(HEADER_BYTES + i * RECORD_BYTES + 24, true)
  }
  speed(i: number): number {
    return this.v.getFloat32(HEADER_BYTES + i * RECORD_BYTES + 28, true)
  }
  heading(i: number): number {
    return this.v.getUint16(HEADER_BYTES + i * RECORD_BYTES + 32, true) / 100
  }
  state(i: number): DroneState {
    return DRONE_STATES[this.v.getUint8(HEADER_BYTES + i * RECORD_BYTES + 34)] as DroneState
  }
  battery(i: number): number {
    return this.v.getFloat32(HEADER_BYTES + i * RECORD_BYTES + 36, true)
  }
  drone(i: number): number {
    return this.v.getUint32(HEADER_BYTES + i * RECORD_BYTES + 40, true)
  }
  seq(i: number): number {
    return this.v.getUint32(HEADER_BYTES + i * RECORD_BYTES + 44, true)
  }

  /** Record i as a telemetry sample (allocates: for tools and tests, not the hot path). */
  sample(i: number): TelemetrySample {
    return {
      droneId: batchDroneId(this.drone(i)),
      seq: this.seq(i),
      ts: this.ts(i),
      lat: this.lat(i),
      lon: this.lon(i),
      alt: this.alt(i),
      speed: this.speed(i),
      heading: this.heading(i),
      battery: this.battery(i),
      state: this.state(i),
    }
  }
}

/**
 * Checks a frame's header and length and returns a reader over it, each
 * record marked valid or not (BatchReader.valid, badField): one bad record
 * costs only itself. Throws a BatchError when the frame as a whole is
 * wrong (truncated, another format or version).
 */
export function openBatch(frame: Uint8Array): BatchReader {
  const v = checkFrame(frame)
  const count = v.getUint32(4, true)
  let marks: Uint8Array | null = null
  let bad = 0
  for (let i = 0; i < count; i++) {
    const f = badField(v, HEADER_BYTES + i * RECORD_BYTES)
    if (f === undefined) continue
    marks ??= new Uint8Array(count)
    marks[i] = FIELDS.indexOf(f) + 1
    bad++
  }
  return new BatchReader(v, marks, bad)
}

/**
 * Checks a whole frame and returns a reader over it. Throws a BatchError
 * naming what is wrong (and the record, for a bad value) otherwise: for
 * tools and tests that want all or nothing; the engine uses openBatch.
 */
export function decodeBatch(frame: Uint8Array): BatchReader {
  const r = openBatch(frame)
  for (let i = 0; r.badCount > 0 && i < r.count; i++) {
    const bad = r.badField(i)
    if (bad) throw new BatchError('record', `batch record ${i}: ${bad} is out of range or not a number`, `records[${i}].${bad}`)
  }
  return r
}

function checkFrame(frame: Uint8Array): DataView {
  if (frame.byteLength < HEADER_BYTES)
    throw new BatchError('truncated', `batch frame of ${frame.byteLength} bytes is shorter than its ${HEADER_BYTES}-byte header`)
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const magic = v.getUint16(0, true)
  if (magic !== BATCH_MAGIC)
    throw new BatchError(
      'magic',
      `not a telemetry batch: magic 0x${magic.toString(16)}, expected 0x${BATCH_MAGIC.toString(16)}`,
      'magic',
      magic,
    )
  const version = v.getUint8(2)
  if (version !== BATCH_VERSION)
    throw new BatchError('version', `batch version ${version} is not supported (this build reads ${BATCH_VERSION})`, 'version', version)
  const count = v.getUint32(4, true)
  const expected = HEADER_BYTES + count * RECORD_BYTES
  if (count > MAX_RECORDS || frame.byteLength !== expected) {
    throw new BatchError(
      'truncated',
      `batch says ${count} records (${expected} bytes) but the frame has ${frame.byteLength} bytes`,
      'count',
      count,
    )
  }
  return v
}

/** The first field of the record at offset o that no valid sample could have. */
function badField(v: DataView, o: number): BatchField | undefined {
  const ts = v.getFloat64(o, true)
  if (!(ts >= 0 && ts <= 8.64e15)) return 'ts'
  const lat = v.getFloat64(o + 8, true)
  if (!(lat >= -90 && lat <= 90)) return 'lat'
  const lon = v.getFloat64(o + 16, true)
  if (!(lon >= -180 && lon <= 180)) return 'lon'
  const alt = v.getFloat32(o + 24, true)
  if (!(alt >= -500 && alt <= 20_000)) return 'alt'
  const speed = v.getFloat32(o + 28, true)
  if (!(speed >= 0 && speed <= 500)) return 'speed'
  if (v.getUint16(o + 32, true) >= 36000) return 'heading'
  if (v.getUint8(o + 34) >= DRONE_STATES.length) return 'state'
  const battery = v.getFloat32(o + 36, true)
  if (!(battery >= 0 && battery <= 1)) return 'battery'
  return undefined
}
