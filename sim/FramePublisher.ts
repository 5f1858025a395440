import { BatchReader, BatchWriter, HEADER_BYTES, RECORD_BYTES } from '../protocol/batchCodec.js'
import type { Topics } from '../protocol/topics.js'
import { droneId } from './FleetState.js'

/** What the publisher asks of the scenario's faults (FaultTimeline). */
export interface TelemetryFaults {
  /** How many faults the scenario has; none means every sample is sent. */
  readonly count: number
  /** 0 to send, -1 to drop, or a delay in ms for drone i's sample `seq`; counts what it decides. */
  telemetryFate(i: number, seq: number): number
  /** Counts a sample the outage kept from being sent. */
  notSent(): void
}

/** Publishes at QoS 0 (the simulator's MQTT client, or a test's recorder). */
export type Publish = (topic: string, payload: Buffer | string) => void

/** The topics of a shard's region: its frames and its drones' JSON samples go there. */
export type ShardTopics = (shard: number) => Topics

/** A sample held back by a telemetryDelay fault: one record of a shard's frame, or a JSON sample. */
type Delayed =
  | { due: number; shard: number; record: Uint8Array; topic?: undefined; json?: undefined }
  | { due: number; shard?: undefined; record?: undefined; topic: string; json: string }

/**
 * Publishes each tick's telemetry: the workers' batch frames, one per shard,
 * on `telemetry-batch/{shard}` of the shard's region (a shard never mixes regions).
 *
 * Fast path: a shard whose samples are all to be sent now, with no drone in
 * it reporting a refusal, goes out as the worker encoded it. Otherwise the
 * shard's frame is rebuilt record by record, in drone order: a dropped
 * sample is left out; a delayed one is kept (its 48 bytes) and goes out in
 * a later frame when due, in due order; a drone reporting a refusal is sent
 * as one JSON sample on `telemetry/{droneId}` with `refused`, which the
 * binary record has no room for (the frame is split around it, so the
 * engine still sees the shard in drone order); while the broker is down,
 * every sample that would have been sent is counted as not sent.
 */
export class FramePublisher {
  private readonly delayed: Delayed[] = []
  /** Fates of one frame's records, reused. */
  private fates = new Float64Array(0)

  constructor(
    private readonly topicsOf: ShardTopics,
    private readonly faults: TelemetryFaults,
    private readonly publish: Publish,
  ) {}

  /** Samples held back for later. */
  get pending(): number {
    return this.delayed.length
  }

  /**
   * Publishes one tick's frames (one per shard, in shard order) for simulated
   * time `now`, then the delayed samples due by `now`. `refusedBy` names the
   * delivery a drone (by index) refused, reported in its telemetry.
   * Returns how many samples were published.
   */
  tick(frames: readonly Uint8Array[], now: number, down: boolean, refusedBy: ReadonlyMap<number, string>): number {
    let sent = 0
    for (const frame of frames) sent += this.shard(frame, now, down, refusedBy)
    if (this.delayed.length > 0) sent += this.flushDue(now, down)
    return sent
  }

  private shard(frame: Uint8Array, now: number, down: boolean, refusedBy: ReadonlyMap<number, string>): number {
    const r = new BatchReader(new DataView(frame.buffer, frame.byteOffset, frame.byteLength))
    const count = r.count
    if (count === 0) return 0
    const faulty = this.faults.count > 0
    let plain = !down
    if (faulty) {
      if (this.fates.length < count) this.fates = new Float64Array(count)
      for (let j = 0; j < count; j++) {
        const fate = this.faults.telemetryFate(r.drone(j) - 1, r.seq(j))
        this.fates[j] = fate
        if (fate !== 0) plain = false
      }
    }
    if (plain && refusedBy.size > 0) {
      // Records are in drone order: a refusal matters when its drone lies between the first and the last.
      const [lo, hi] = [r.drone(0) - 1, r.drone(count - 1) - 1]
      for (const i of refusedBy.keys()) if (i >= lo && i <= hi) plain = false
    }
    const topics = this.topicsOf(r.shard)
    const topic = topics.telemetryBatch(r.shard)
    if (plain) {
      this.publish(topic, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength))
      return count
    }
    let sent = 0
    let out: BatchWriter | null = null
    const flush = (): void => {
      if (out === null) return
      this.publish(topic, out.finish())
      out = null
    }
    for (let j = 0; j < count; j++) {
      const fate = faulty ? (this.fates[j] as number) : 0
      if (fate < 0) continue
      const i = r.drone(j) - 1
      const refused = refusedBy.get(i)
      if (refused !== undefined) {
        const json = JSON.stringify({ ...r.sample(j), refused })
        if (fate > 0) this.delayed.push({ due: now + fate, topic: topics.telemetry(droneId(i)), json })
        else if (down) this.faults.notSent()
        else {
          flush()
          this.publish(topics.telemetry(droneId(i)), json)
          sent++
        }
      } else if (fate > 0) {
        const at = HEADER_BYTES + j * RECORD_BYTES
        this.delayed.push({ due: now + fate, shard: r.shard, record: frame.slice(at, at + RECORD_BYTES) })
      } else if (down) this.faults.notSent()
      else {
        const at = HEADER_BYTES + j * RECORD_BYTES
        out ??= new BatchWriter(count - j, r.shard)
        out.pushRecord(frame.subarray(at, at + RECORD_BYTES))
        sent++
      }
    }
    flush()
    return sent
  }

  /** Publishes the delayed samples due by `now`, in due order (then in the order they were held): runs of one shard's records as one frame. */
  private flushDue(now: number, down: boolean): number {
    const q = this.delayed
    q.sort((a, b) => a.due - b.due)
    let k = 0
    while (k < q.length && (q[k] as Delayed).due <= now) k++
    if (k === 0) return 0
    const due = q.splice(0, k)
    if (down) {
      for (let j = 0; j < due.length; j++) this.faults.notSent()
      return 0
    }
    let out: BatchWriter | null = null
    let shard = -1
    const flush = (): void => {
      if (out !== null) this.publish(this.topicsOf(shard).telemetryBatch(shard), out.finish())
      out = null
    }
    for (const d of due) {
      if (d.record === undefined) {
        flush()
        this.publish(d.topic, d.json)
        continue
      }
      if (out !== null && d.shard !== shard) flush()
      if (out === null) {
        shard = d.shard
        out = new BatchWriter(16, shard)
      }
      out.pushRecord(d.record)
    }
    flush()
    return due.length
  }
}
