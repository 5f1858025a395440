import type { EventLoopUtilization } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import { type DecodedMessage, FrameSlabs } from './DecodedFrame.js'

/** What the decoder thread is started with. */
export interface DecoderConfig extends Omit<TelemetryDecoderOptions, 'logger' | 'maxBacklog' | 'slabs'> {
  /** Int32 slots: BACKLOG, PAUSED (1 while the socket is paused), PAUSES, CPU_MS. */
  shared: SharedArrayBuffer
  /** The frames' shared memory (FrameSlabs). */
  slabs: { records: SharedArrayBuffer; state: SharedArrayBuffer }
  maxBacklog: number
  logLevel: string | undefined
}

/** Engine thread → decoder. */
export type DecoderCommand = { type: 'resume' } | { type: 'stop' }

/** Decoder → engine thread, besides DecodedMessage. */
export type DecoderStatus = { kind: 'ready' } | { kind: 'error'; message: string } | { kind: 'stopped' }

/** The shared Int32Array's slots: samples handed over and not yet applied, … */
export const BACKLOG = 0
export const PAUSED = 1
/** How often the decoder paused its socket. */
export const PAUSES = 2
/** The decoder thread's CPU time, ms (threadCpuMs, updated every 100 ms; -1 where unknown). */
export const CPU_MS = 3
export const SHARED_SLOTS = 4

export interface TelemetryDecoderOptions {
  /** The broker, with the engine's credentials. */
  url: string
  clientId: string
  prefix: string
  /** The regions whose JSON telemetry it decodes; any other message it is sent is handed over as it is. */
  regions: string[]
  /** Every topic filter it subscribes to, with its QoS. */
  subscriptions: Record<string, { qos: 0 | 1 }>
  /** Samples handed over and not yet applied past which the decoder stops reading (default 50,000: under a second at full speed). */
  maxBacklog?: number
  /** The frames' shared memory (default: a new one); read the frames delivered with a DecodedFrameReader on it. */
  slabs?: FrameSlabs
  logger?: Logger | undefined
}

/**
 * The engine's side of its telemetry decoder thread (telemetryDecoderWorker.ts):
 * starts it and hands each message it sends to `deliver` in order; once
 * `deliver` returns, the samples it was given count as applied, and a
 * paused decoder reads on when few are left in flight. A decoder that dies
 * is started again after a second, and says so in the log.
 */
export class TelemetryDecoder {
  private readonly shared = new SharedArrayBuffer(SHARED_SLOTS * 4)
  private readonly counters = new Int32Array(this.shared)
  /** Where the decoder writes frames' records; the engine's side reads them with a DecodedFrameReader on these. */
  readonly slabs: FrameSlabs
  private worker!: Worker
  private closing = false
  private readonly maxBacklog: number

  private constructor(
    private readonly o: TelemetryDecoderOptions,
    private readonly deliver: (m: DecodedMessage) => void,
  ) {
    this.maxBacklog = o.maxBacklog ?? 50_000
    this.slabs = o.slabs ?? new FrameSlabs()
  }

  /** Resolves once the decoder is connected and subscribed; rejects when it cannot connect. */
  static async start(o: TelemetryDecoderOptions, deliver: (m: DecodedMessage) => void): Promise<TelemetryDecoder> {
    const d = new TelemetryDecoder(o, deliver)
    await d.spawn()
    return d
  }

  /** `n` of the samples handed over were applied: past the pause, the decoder reads on. */
  private applied(n: number): void {
    const left = Atomics.sub(this.counters, BACKLOG, n) - n
    if (left <= this.maxBacklog / 2 && Atomics.compareExchange(this.counters, PAUSED, 1, 0) === 1) {
      this.worker.postMessage({ type: 'resume' } satisfies DecoderCommand)
    }
  }

  /** Samples handed over and not yet applied. */
  get backlog(): number {
    return Atomics.load(this.counters, BACKLOG)
  }

  /** How often the decoder stopped reading to let the engine catch up. */
  get pauses(): number {
    return Atomics.load(this.counters, PAUSES)
  }

  /** The decoder thread's event-loop utilisation (Node's EventLoopUtilization), since `since` when given. */
  utilization(since?: EventLoopUtilization): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization(since)
  }

  /** CPU time the decoder thread has used, ms (10 ms resolution, updated every 100 ms); undefined where unknown. */
  cpuMs(): number | undefined {
    const ms = Atomics.load(this.counters, CPU_MS)
    return ms < 0 ? undefined : ms
  }

  async close(): Promise<void> {
    this.closing = true
    const w = this.worker
    const stopped = new Promise<void>((resolve) => {
      const onMessage = (m: DecodedMessage | DecoderStatus): void => {
        if (m.kind === 'stopped') resolve()
      }
      w.on('message', onMessage)
      w.once('exit', () => resolve())
    })
    w.postMessage({ type: 'stop' } satisfies DecoderCommand)
    await stopped
    await w.terminate()
  }

  private spawn(): Promise<void> {
    const o = this.o
    const config: DecoderConfig = {
      url: o.url,
      clientId: o.clientId,
      prefix: o.prefix,
      regions: o.regions,
      subscriptions: o.subscriptions,
      shared: this.shared,
      slabs: { records: this.slabs.records, state: this.slabs.state },
      maxBacklog: this.maxBacklog,
      logLevel: o.logger?.level,
    }
    // A new decoder starts with nothing in flight.
    Atomics.store(this.counters, BACKLOG, 0)
    Atomics.store(this.counters, PAUSED, 0)
    const w = new Worker(new URL('./telemetryDecoderWorker.js', import.meta.url), { workerData: config })
    this.worker = w
    return new Promise<void>((resolve, reject) => {
      let ready = false
      w.on('message', (m: DecodedMessage | DecoderStatus) => {
        if (m.kind === 'samples') {
          // Delivered is applied: the engine takes a frame in one go.
          this.deliver(m)
          this.applied(m.count)
        } else if (m.kind === 'raw') this.deliver(m)
        else if (m.kind === 'ready') {
          ready = true
          resolve()
        } else if (m.kind === 'error') {
          if (!ready) reject(new Error(m.message))
          else o.logger?.error({ message: m.message }, 'telemetry decoder failed')
        }
      })
      w.once('error', (err) => {
        if (!ready) reject(err)
        else o.logger?.error({ err }, 'telemetry decoder failed')
      })
      w.once('exit', (code) => {
        if (!ready || this.closing) return
        o.logger?.error({ code }, 'telemetry decoder stopped: starting it again')
        setTimeout(() => {
          if (!this.closing) this.spawn().catch((err: unknown) => o.logger?.error({ err }, 'telemetry decoder could not start again'))
        }, 1000).unref()
      })
    })
  }
}
