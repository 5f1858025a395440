import { batchDroneId, type BatchReader } from '../../protocol/batchCodec.js'
import type { TelemetrySample } from '../../protocol/telemetry.js'

/**
 * Batch records are applied through one reused sample: the core copies what
 * it keeps, so a frame of thousands allocates no objects but ids (each made
 * once per drone number and kept).
 */
export class BatchScratch {
  private readonly ids: string[] = []
  private readonly sample: TelemetrySample = {
    droneId: '',
    seq: 0,
    ts: 0,
    lat: 0,
    lon: 0,
    alt: 0,
    speed: 0,
    heading: 0,
    battery: 0,
    state: 'idle',
  }
  private taken = new Uint32Array(1024)

  /** Record i of the frame, in the reused sample: valid until the next read. */
  read(r: BatchReader, i: number): TelemetrySample {
    const s = this.sample
    const n = r.drone(i)
    s.droneId = this.ids[n] ??= batchDroneId(n)
    s.seq = r.seq(i)
    s.ts = r.ts(i)
    s.lat = r.lat(i)
    s.lon = r.lon(i)
    s.alt = r.alt(i)
    s.speed = r.speed(i)
    s.heading = r.heading(i)
    s.battery = r.battery(i)
    s.state = r.state(i)
    return s
  }

  /** Room for the indexes of the records of a frame that the engine took: at least `count`, grown, never shrunk. */
  takenFor(count: number): Uint32Array {
    if (this.taken.length < count) this.taken = new Uint32Array(count)
    return this.taken
  }
}
