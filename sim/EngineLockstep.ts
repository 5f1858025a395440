import type { MqttClient } from 'mqtt'
import { decodeClock, type ClockMessage } from '../protocol/clock.js'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import type { Topics } from '../protocol/topics.js'
import type { WallClock } from './WallClock.js'

export interface EngineLockstepOptions {
  mqtt: MqttClient
  topics: Topics
  /** The regions flown: their engines' watermarks are awaited, their clocks sent. */
  regions: readonly string[]
  wall: WallClock
  engineTimeoutMs: number
  clockRetryMs: number
  reconnectTimeoutMs: number
}

/**
 * The simulator's half of the lockstep with the engines of the regions it
 * flies: it sends `sim/clock` on each region and waits until every region's
 * `engine/watermark` has reached it, so each engine has decided on tick t
 * before tick t+1 is flown.
 */
export class EngineLockstep {
  /** The latest watermark of each region flown, by its `engine/watermark` topic. */
  private readonly marks: Map<string, { t: number }>
  /** Each region's `sim/clock` topic, for the regions flown. */
  private readonly clockTopics: string[]
  private waiter: { t: number; resolve: () => void } | null = null

  constructor(private readonly o: EngineLockstepOptions) {
    this.marks = new Map(o.regions.map((r) => [o.topics.forRegion(r).engineWatermark, { t: -Infinity }]))
    this.clockTopics = o.regions.map((r) => o.topics.forRegion(r).simClock)
  }

  /** The `engine/watermark` topics to subscribe to. */
  watermarkTopics(): string[] {
    return [...this.marks.keys()]
  }

  /** Takes a message on a watermark topic (resolving a sync it completes); false for any other topic. */
  heard(topic: string, payload: Buffer): boolean {
    const mark = this.marks.get(topic)
    if (!mark) return false
    const c = decodeClock(payload)
    if (c && c.t > mark.t) mark.t = c.t
    if (this.waiter && this.watermark() >= this.waiter.t) {
      const w = this.waiter
      this.waiter = null
      w.resolve()
    }
    return true
  }

  /** The lowest watermark of the regions flown: what every one of their engines has processed. */
  private watermark(): number {
    let low = Infinity
    for (const m of this.marks.values()) if (m.t < low) low = m.t
    return low
  }

  /**
   * Tells the engine, on each region's `sim/clock`, that all telemetry up to
   * `t` is out and that the telemetry that follows is stamped up to `next`;
   * waits until it has processed it in every region.
   * The clock is sent again every `clockRetryMs` and on each reconnect:
   * after a broker restart the engine may resubscribe after our clock went
   * by, and a lost clock must not end the run. The engine gets
   * `engineTimeoutMs` of connected time to answer (restarted on each
   * reconnect); the broker may be away up to `reconnectTimeoutMs`.
   */
  sync(t: number, next: number): Promise<void> {
    const { mqtt, engineTimeoutMs: limit, clockRetryMs, reconnectTimeoutMs } = this.o
    const c: ClockMessage = { t, next }
    const payload = JSON.stringify(c)
    const send = (): void => {
      if (mqtt.connected) for (const topic of this.clockTopics) mqtt.publish(topic, payload, { qos: 1 }, () => undefined)
    }
    send()
    if (this.watermark() >= t) return Promise.resolve()
    return new Promise((resolve, reject) => {
      let offlineSince: number | null = null
      let deadline: ReturnType<typeof setTimeout>
      const retry = setInterval(send, clockRetryMs)
      const done = (err?: Error): void => {
        clearTimeout(deadline)
        clearInterval(retry)
        mqtt.off('connect', onConnect)
        this.waiter = null
        if (err) reject(err)
        else resolve()
      }
      const expire = (): void => {
        if (mqtt.connected) {
          done(
            new DronefleetError(
              ErrorCodes.ENGINE_TIMEOUT,
              `the engine did not confirm simulated time ${new Date(t).toISOString()} within ${limit} ms; is it running and subscribed to ${this.unconfirmed(t).join(', ')}?`,
              'engineTimeoutMs',
              limit,
            ),
          )
          return
        }
        const now = this.o.wall.now()
        offlineSince ??= now
        if (now - offlineSince >= reconnectTimeoutMs) {
          done(
            new DronefleetError(
              ErrorCodes.BROKER_UNREACHABLE,
              `the MQTT broker has been unreachable for ${reconnectTimeoutMs} ms`,
              'reconnectTimeoutMs',
              reconnectTimeoutMs,
            ),
          )
          return
        }
        deadline = setTimeout(expire, Math.min(limit, reconnectTimeoutMs - (now - offlineSince)))
      }
      const onConnect = (): void => {
        offlineSince = null
        clearTimeout(deadline)
        deadline = setTimeout(expire, limit)
        send()
      }
      deadline = setTimeout(expire, limit)
      mqtt.on('connect', onConnect)
      this.waiter = { t, resolve: () => done() }
    })
  }

  /** The `sim/clock` topics of the regions whose engine has not confirmed `t`. */
  private unconfirmed(t: number): string[] {
    const late = [...this.marks].filter(([, m]) => m.t < t).map(([topic]) => topic.replace(/engine\/watermark$/, 'sim/clock'))
    return late.length > 0 ? late : this.clockTopics
  }
}
