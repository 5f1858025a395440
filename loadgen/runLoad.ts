import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import WebSocket from 'ws'
import { startMqttEngine } from '../engine/mqttEngine.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../gateway/embeddedBroker.js'
import { openLink } from '../gateway/openLink.js'
import { startGateway } from '../gateway/startGateway.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics as makeTopics } from '../protocol/topics.js'
import type { TrackMessage } from '../protocol/tracking.js'
import { randomBytes } from 'node:crypto'
import { BarePipe } from './BarePipe.js'
import { LatencyStats, type LatencySummary } from './LatencyStats.js'
import { LoadPlan, type LoadPhase } from './LoadPlan.js'
import type { PublisherConfig, PublisherMessage, StartMessage } from './publisherWorker.js'
import { SeqTracker } from './SeqTracker.js'

/** The publisher's settings (where to publish is decided here), plus the run's own. */
export interface LoadOptions extends Omit<PublisherConfig, 'brokerUrl' | 'prefix'> {
  /** An external broker; without it an embedded aedes broker runs in this process. */
  broker?: string | undefined
  /** WebSocket clients, each tracking one delivery. */
  wsClients: number
  /**
   * Seconds of linear ramp from 0 to the first phase's rate before the
   * measured phases, left out of every figure but loss (default 0): a cold
   * process (JIT, buffers, connections) under a step load measures its
   * start-up, not its steady state.
   */
  warmupS?: number
  logger: Logger
  connect: (url: string, role: string) => Promise<BrokerLink & { endAsync(): Promise<unknown> }>
  onSecond?: (p: LoadProgress) => void
}

export interface LoadProgress {
  second: number
  sent: number
  engine: number
  bare: number
  p99: number
}

export interface LoadResult {
  config: Omit<LoadOptions, 'logger' | 'connect' | 'onSecond'> & { broker: string; plannedMessages: number; durationS: number }
  /** How the engine is attached to the broker: in-process on the embedded broker, an MQTT client otherwise. */
  engineLink: 'in-process' | 'mqtt'
  sent: number
  /** Positions the generator could not send (QoS 1 window full). */
  skipped: number
  engine: { received: number; lost: number; lossRate: number; duplicates: number; reordered: number; throughput: number; latency: LatencySummary; series: number[] }
  bare: { received: number; throughput: number; series: number[] }
  ws: { clients: number; latency: LatencySummary } | null
  /** Engine throughput / bare-pipe throughput. */
  ratio: number
}

const wallNow = (): number => performance.timeOrigin + performance.now()

/**
 * One load test, laid out as `dronefleet serve` runs: the broker (embedded,
 * or given), the engine and the gateway in this process, the engine and
 * gateway linked in-process to an embedded broker. The publisher and the
 * bare-pipe counter each have a worker thread and their own connections.
 * Latency is from each message's intended send time to the moment the
 * engine processed it, and to the moment a WebSocket client got the
 * tracking message it caused.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const plan = new LoadPlan(o.phases)
  const warmupS = o.warmupS ?? 0
  const sentPhases = warmupS > 0 ? [{ rate: 0, to: (o.phases[0] as LoadPhase).rate, durationS: warmupS }, ...o.phases] : o.phases
  const prefix = `dronefleet-bench-${randomBytes(3).toString('hex')}/v1`
  const t = makeTopics(prefix)
  const cleanup: Array<() => Promise<unknown>> = []
  try {
    let embedded: EmbeddedBroker | null = null
    if (!o.broker) {
      embedded = await startEmbeddedBroker({ port: 0 })
      cleanup.push(() => (embedded as EmbeddedBroker).close())
    }
    const brokerUrl = o.broker ?? (embedded as EmbeddedBroker).url
    const engineStats = new LatencyStats()
    const seqs = new SeqTracker()
    // startAt: when the load begins; measureAt: when the warm-up ends and the figures begin.
    let startAt = Infinity
    let measureAt = Infinity
    let lastEngineAt = 0
    let measured = 0
    const link = async (role: string): Promise<BrokerLink> => {
      const { link, close } = await openLink(embedded, () => o.connect(brokerUrl, role), o.logger)
      cleanup.push(close)
      return link
    }
    const engineClient = await link('bench-engine')
    const engine = await startMqttEngine({
      mqtt: engineClient, topics: t, profile: DEFAULT_PROFILE, depots: [], logger: o.logger,
      now: wallNow,
      observe: (s, now) => {
        seqs.add(s.droneId, s.seq)
        if (s.ts >= measureAt) engineStats.record((now - measureAt) / 1000, now - s.ts)
        if (now >= measureAt) {
          measured++
          lastEngineAt = now
        }
      },
    })
    cleanup.push(() => engine.close())
    const gatewayClient = await link('bench-gateway')
    const gateway = await startGateway({
      mqtt: gatewayClient, topics: t, engine: engine.engine, httpPort: 0, wsPort: 0, apiKey: null,
      trackingSecret: randomBytes(32), logger: false,
    })
    cleanup.push(() => gateway.close())
    const bare = await BarePipe.start({ brokerUrl, prefix })
    cleanup.push(() => bare.stop())

    const config: PublisherConfig = {
      brokerUrl, prefix, phases: sentPhases, drones: o.drones, connections: o.connections, format: o.format,
      batchSize: o.batchSize, lingerMs: o.lingerMs, qos: o.qos, window: o.window,
    } satisfies Required<PublisherConfig>
    const worker = new Worker(new URL('./publisherWorker.js', import.meta.url), { workerData: config })
    cleanup.push(() => worker.terminate())
    let sent = 0
    let skipped = 0
    let markStarted = (): void => undefined
    const started = new Promise<void>((r) => { markStarted = r })
    const done = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: PublisherMessage) => {
        if (m.type === 'ready') {
          startAt = wallNow() + 100
          measureAt = startAt + warmupS * 1000
          bare.begin(measureAt)
          worker.postMessage({ startAt } satisfies StartMessage)
          markStarted()
        } else if (m.type === 'progress') sent = m.sent
        else if (m.type === 'done') { sent = m.sent; skipped = m.skipped; resolve() }
        else if (m.type === 'error') reject(new Error(`the load publisher failed: ${m.message}`))
      })
      worker.on('error', reject)
    })
    await Promise.race([started, done])

    const wsStats = o.wsClients > 0 ? new LatencyStats() : null
    const sockets: WebSocket[] = []
    cleanup.push(async () => { for (const s of sockets) s.terminate() })
    if (wsStats) {
      // Let the fleet report in, then give each client a delivery to watch.
      await new Promise((r) => setTimeout(r, Math.max(0, startAt - wallNow()) + 1000))
      for (let i = 0; i < o.wsClients; i++) {
        const res = await fetch(`${gateway.httpUrl}/v1/deliveries`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pickup: { lat: 47.5, lon: -122.4 }, dropoff: { lat: 47.51, lon: -122.4 }, weightKg: 1 }),
        })
        const { trackingUrl } = (await res.json()) as { trackingUrl: string }
        const ws = new WebSocket(trackingUrl)
        ws.on('message', (data) => {
          const m = JSON.parse(String(data)) as TrackMessage
          if (m.type === 'tracking' && m.ts >= measureAt) wsStats.record((wallNow() - measureAt) / 1000, wallNow() - m.ts)
        })
        sockets.push(ws)
      }
    }

    const ticker = setInterval(() => {
      const second = Math.floor((wallNow() - measureAt) / 1000)
      void bare.report().then(() => {
        o.onSecond?.({ second, sent, engine: engineStats.series()[second - 1] ?? 0, bare: bare.series()[second - 1] ?? 0, p99: engineStats.summary().p99 })
      })
    }, 1000)
    cleanup.push(async () => clearInterval(ticker))
    await done
    // Drain: wait until the engine has what was sent, or two quiet seconds.
    for (let last = -1, quiet = 0; quiet < 20 && seqs.received < sent; quiet = seqs.received === last ? quiet + 1 : 0) {
      last = seqs.received
      await new Promise((r) => setTimeout(r, 100))
    }
    await bare.report()
    // Rates over the time the messages took to arrive, not the time planned
    // for sending them: a pipeline that falls behind shows a lower rate.
    const span = (last: number): number => Math.max(plan.durationS, (last - measureAt) / 1000)
    const engineThroughput = Math.round(measured / span(lastEngineAt))
    const bareThroughput = Math.round(bare.total / span(bare.lastAt))
    return {
      config: { ...o, broker: o.broker ?? 'embedded', plannedMessages: plan.total, durationS: plan.durationS } as LoadResult['config'],
      engineLink: embedded ? 'in-process' : 'mqtt',
      sent,
      skipped,
      engine: {
        received: seqs.received, lost: seqs.lost(sent), lossRate: sent ? seqs.lost(sent) / sent : 0, duplicates: seqs.duplicates,
        reordered: seqs.reordered, throughput: engineThroughput, latency: engineStats.summary(), series: engineStats.series(),
      },
      bare: { received: bare.total, throughput: bareThroughput, series: bare.series() },
      ws: wsStats ? { clients: o.wsClients, latency: wsStats.summary() } : null,
      ratio: bareThroughput ? Math.round((engineThroughput / bareThroughput) * 1000) / 1000 : 0,
    }
  } finally {
    for (const close of cleanup.reverse()) await close().catch(() => undefined)
  }
}
