import type { Aedes, AedesPublishPacket, PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import type { BrokerLink } from '../protocol/BrokerLink.js'

type Listener = (topic: string, payload: Buffer) => void
type Deliver = (packet: AedesPublishPacket, done: () => void) => void

/**
 * A BrokerLink straight into the embedded aedes broker, for the engine and
 * gateway running in the broker's own process. Messages still go through
 * the broker (its topic matching, retained and offline queues, every other
 * subscriber), but this side skips encoding, the loopback socket and
 * parsing: for a JSON sample that was most of what the broker's thread spent
 * on delivering it to the engine.
 *
 * It is trusted like the process itself: the broker's authorize* policies
 * apply to network clients, not to this link.
 */
export class InProcessLink implements BrokerLink {
  private readonly listeners: Listener[] = []
  private readonly subscribed = new Set<string>()
  private closed = false
  private readonly deliver: Deliver

  constructor(
    private readonly aedes: Aedes,
    private readonly log?: Logger,
  ) {
    this.deliver = (packet, done) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
      for (const l of this.listeners) {
        // A listener's bug must not reach into the broker's delivery loop.
        try {
          l(packet.topic, payload)
        } catch (err) {
          this.log?.error({ err, topic: packet.topic }, 'in-process subscriber failed on a message')
        }
      }
      // Not done() itself: with every subscriber of a message finishing at
      // once, mqemitter would start its next queued message on this stack,
      // and a long queue (a slow network subscriber) overflows it.
      process.nextTick(done)
    }
  }

  get connected(): boolean {
    return !this.closed && !this.aedes.closed
  }

  get reconnecting(): boolean {
    return false
  }

  /**
   * Every message takes the broker's QoS 1 path, whatever `opts.qos` asks.
   * aedes numbers a message when it is published but a QoS 1 one reaches
   * subscribers a few microtasks later (after its offline queueing), and a
   * subscriber drops any message numbered below one it already has
   * (aedes#994): so a delivery event followed by a QoS 0 tracking message
   * lost the event for anyone subscribed to both. On one path, messages
   * leave in the order they were published. Subscribers still get at most
   * the QoS they subscribed with.
   */
  publish(topic: string, payload: string | Buffer, _opts: { qos: 0 | 1 }, callback?: (err?: Error) => void): void {
    const packet = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: 1,
      retain: false,
      dup: false,
    } as PublishPacket
    this.aedes.publish(packet, (err) => callback?.(err ?? undefined))
  }

  publishAsync(topic: string, payload: string | Buffer, opts: { qos: 0 | 1 }): Promise<void> {
    return new Promise((resolve, reject) => this.publish(topic, payload, opts, (err) => (err ? reject(err) : resolve())))
  }

  async subscribeAsync(subscriptions: Record<string, { qos: 0 | 1 }>): Promise<void> {
    for (const topic of Object.keys(subscriptions)) {
      if (this.subscribed.has(topic)) continue
      this.subscribed.add(topic)
      await new Promise<void>((resolve) => this.aedes.subscribe(topic, this.deliver, resolve))
    }
  }

  async unsubscribeAsync(topics: string[]): Promise<void> {
    for (const topic of topics) {
      if (!this.subscribed.delete(topic)) continue
      await new Promise<void>((resolve) => this.aedes.unsubscribe(topic, this.deliver, () => resolve()))
    }
  }

  on(_event: 'message', listener: Listener): this {
    this.listeners.push(listener)
    return this
  }

  off(_event: 'message', listener: Listener): this {
    const i = this.listeners.indexOf(listener)
    if (i >= 0) this.listeners.splice(i, 1)
    return this
  }

  /** Drops every subscription; the broker itself is closed by its owner. */
  async end(): Promise<void> {
    await this.unsubscribeAsync([...this.subscribed])
    this.closed = true
  }
}
