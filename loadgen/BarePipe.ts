import type { MqttClient } from 'mqtt'
import { HEADER_BYTES } from '../protocol/batchCodec.js'
import type { Topics } from '../protocol/topics.js'

/**
 * The baseline: a plain subscriber that only counts positions (a JSON
 * message is one, a batch frame says how many it holds). What it sees is
 * what the broker can deliver; the engine's throughput is judged against it.
 */
export class BarePipe {
  private readonly perSecond: number[] = []
  total = 0
  /** Wall ms of the last arrival. */
  lastAt = 0
  private readonly onMessage: (topic: string, payload: Buffer) => void

  /** Seconds are counted from `startAt` (wall ms), set when the load starts. */
  startAt = Infinity

  constructor(private readonly client: MqttClient, private readonly t: Topics, private readonly now: () => number) {
    this.onMessage = (topic, payload) => {
      const n = topic.startsWith(`${t.prefix}/telemetry-batch/`) ? (payload.byteLength >= HEADER_BYTES ? payload.readUInt32LE(4) : 0) : 1
      this.total += n
      this.lastAt = this.now()
      const sec = Math.max(0, Math.floor((this.lastAt - this.startAt) / 1000))
      while (this.perSecond.length <= sec) this.perSecond.push(0)
      this.perSecond[sec] = (this.perSecond[sec] as number) + n
    }
  }

  async start(): Promise<void> {
    this.client.on('message', this.onMessage)
    await this.client.subscribeAsync({ [this.t.telemetryAll]: { qos: 0 }, [this.t.telemetryBatchAll]: { qos: 0 } })
  }

  series(): number[] {
    return [...this.perSecond]
  }

  stop(): void {
    this.client.off('message', this.onMessage)
  }
}
