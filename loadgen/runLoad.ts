import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { engineLoop, type LoopFigures, type LoopMark, markEngineLoop } from './engineLoop.js'
import type { Logger } from 'pino'
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embeddedBroker.js'
import { openLink } from '../broker/openLink.js'
import { startMqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { startGateway } from '../gateway/startGateway.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics as makeTopics } from '../protocol/topics.js'
import { BarePipe } from './BarePipe.js'
import type { ClientsCommand, ClientsConfig, ClientsCounts, ClientsMessage } from './clientsWorker.js'
import { deadline } from './deadline.js'
import { judgeBaseline, type BaselineVerdict } from './judgeBaseline.js'
import { LatencyStats, type LatencySummary } from './LatencyStats.js'
import { resolveLoadOptions, type LoadTunables } from './loadOptions.js'
import { LoadPlan, type LoadPhase } from './LoadPlan.js'
import { LoadWorld } from './LoadWorld.js'
import type { PublisherConfig, PublisherMessage, StartMessage } from './publisherWorker.js'
import { SeqTracker } from './SeqTracker.js'
import { warmupPhases } from './warmupPhases.js'

/** The publisher's settings (where to publish is decided here), plus the run's own. */
export interface LoadOptions extends Omit<PublisherConfig, 'brokerUrl' | 'prefix'> {
  /** An external broker; without it an embedded aedes broker runs in this process. */
  broker?: string | undefined
  /** WebSocket clients, each tracking one delivery, in a thread of their own. */
  wsClients: number
  /**
   * Seconds of linear ramp from 0 to the first phase's rate before the
   * measured phases, left out of every figure but loss (default 0): a cold
   * process (JIT, buffers, connections) under a step load measures its
   * start-up, not its steady state.
   */
  warmupS?: number
  deliveriesPerS?: number
  decoder?: 'thread' | 'inline'
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

/** The run's settings as given, with nothing but plain values (no logger, no functions). */
export type LoadSettings = Required<LoadTunables> & { broker: string; plannedMessages: number; durationS: number }

export interface PathFigures {
  /** Distinct positions that arrived (before any filter), warm-up included. */
  received: number
  /** Sent positions that never arrived. */
  lost: number
  lossRate: number
  /** Arrivals of a position already received, counted on arrival. */
  duplicates: number
  /** Arrivals of a position older than one already received from its drone, counted on arrival. */
  reordered: number
  /** Measured positions per second, over the time they took to arrive. */
  throughput: number
  /** ms, from intended send time. */
  latency: LatencySummary
  /** Measured arrivals in each second. */
  series: number[]
  /** The highest latency in each second, ms. */
  maxSeries: number[]
}

export interface LoadResult {
  config: LoadSettings
  /** How the engine is attached to the broker: in-process on the embedded broker, an MQTT client otherwise (reading telemetry in a decoder thread, unless `--decoder inline`). */
  engineLink: 'in-process' | 'mqtt' | 'mqtt, decoder thread'
  /** The delivery rules the engine's path and the baseline's share (see `baseline`). */
  delivery: string
  sent: number
  /** Positions the generator could not send (QoS 1 window full). */
  skipped: number
  /** Faults sent on purpose: extra copies, and positions held back behind their drone's next one. */
  injected: { duplicates: number; reordered: number }
  /** Latency to after the engine applied the sample (index, geofences, ETA); `accepted` passed its seq filter. */
  engine: PathFigures & { accepted: number; filtered: number }
  /**
   * How busy the engine's event loop was in the measured phase: its share of
   * wall time, and its busy time per position the engine applied (the loop
   * also runs the gateway, and on the embedded broker the broker). With a
   * decoder thread, that thread's too. 1 s / busy per position is what the
   * loop could take with a core of its own, were it not for waiting for
   * one: CPU µs per position (thread CPU time, Linux) is that figure
   * without the wait.
   */
  engineLoop: (LoopFigures & { decoder: LoopFigures | null }) | null
  /** The bare pipe: a subscriber in its own thread that only reads drone, seq and time. */
  bare: PathFigures & { measured: number }
  /** Valid when the baseline lost nothing; otherwise no ratio is given. */
  baseline: BaselineVerdict
  /** Telemetry → WebSocket, measured in the clients' own thread. */
  ws: (ClientsCounts & { clients: number; measuredIn: string }) | null
  /** Slow-subscriber drops on the embedded broker (0 or null over an external one). */
  brokerDrops: number | null
  /** Engine throughput / bare-pipe throughput; null when the baseline is invalid. At one offered rate it is capped at 1: `--find-max` compares capacities. */
  ratio: number | null
  /** Busy threads of this run (main, publisher, bare pipe, clients) and the machine's cores. */
  threads: number
  cores: number
}

const wallNow = (): number => performance.timeOrigin + performance.now()
/**
 * The in-process engine never meets the embedded broker's slow-subscriber
 * rule, so the bare pipe is exempted too (limit raised this far), and any
 * drop is still counted and reported.
 */
const NO_SLOW_SUBSCRIBER_LIMIT = 2 ** 40

/**
 * One load test, laid out as `dronefleet serve` runs: the broker (embedded,
 * or given), the engine and the gateway in this process, the engine and
 * gateway linked in-process to an embedded broker. The publisher, the
 * bare-pipe subscriber and the service's clients (requests, tracking
 * sockets) each have a worker thread and their own connections. Latency is
 * from each position's intended send time to the moment the engine had
 * applied it, and to the moment a tracking client got the message it caused.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const o = resolveLoadOptions(options)
  const plan = new LoadPlan(o.phases)
  const world = new LoadWorld(o.load, o.drones, o.wsClients)
  const warmup = warmupPhases((o.phases[0] as LoadPhase).rate, o.warmupS, o.drones)
  const warmupS = warmup.reduce((s, p) => s + p.durationS, 0)
  const sentPhases = [...warmup, ...o.phases]
  const sentPlan = new LoadPlan(sentPhases)
  const prefix = `dronefleet-bench-${randomBytes(3).toString('hex')}/v1`
  const t = makeTopics(prefix)
  const cleanup: Array<() => Promise<unknown>> = []
  try {
    let embedded: EmbeddedBroker | null = null
    if (!o.broker) {
      embedded = await startEmbeddedBroker({ port: 0, maxBufferedBytes: NO_SLOW_SUBSCRIBER_LIMIT })
      cleanup.push(() => (embedded as EmbeddedBroker).close())
    }
    const brokerUrl = o.broker ?? (embedded as EmbeddedBroker).url
    const engineStats = new LatencyStats()
    const seqs = new SeqTracker()
    // startAt: when the load begins; measureAt: when the warm-up ends and the figures begin.
    let startAt = Infinity
    let measureAt = Infinity
    let lastEngineAt = 0
    let accepted = 0
    const link = async (role: string): Promise<BrokerLink> => {
      const { link, close } = await openLink(embedded, () => o.connect(brokerUrl, role), o.logger)
      cleanup.push(close)
      return link
    }
    const engineClient = await link('bench-engine')
    const engine = await startMqttEngine({
      mqtt: engineClient,
      topics: t,
      profile: DEFAULT_PROFILE,
      depots: world.depots,
      zones: world.zones,
      logger: o.logger,
      now: wallNow,
      // Over an external broker, decoded as `serve` does it: in a thread of its own (unless --decoder inline).
      ...(o.broker && o.decoder === 'thread'
        ? { decoder: { url: brokerUrl, clientId: `dronefleet-bench-decoder-${process.pid}-${randomBytes(3).toString('hex')}` } }
        : {}),
      receive: (s) => seqs.add(s.droneId, s.seq),
      observe: (s, now) => {
        accepted++
        if (s.ts >= measureAt) {
          engineStats.record((now - measureAt) / 1000, now - s.ts)
          lastEngineAt = now
        }
      },
    })
    cleanup.push(() => engine.close())
    const gatewayClient = await link('bench-gateway')
    const gateway = await startGateway({
      mqtt: gatewayClient,
      topics: t,
      engine: engine.engine,
      httpPort: 0,
      wsPort: 0,
      apiKey: null,
      trackingSecret: randomBytes(32),
      logger: false,
    })
    cleanup.push(() => gateway.close())
    const bare = await BarePipe.start({ brokerUrl, prefix })
    cleanup.push(() => bare.stop())
    const clients =
      o.wsClients > 0 || (o.load === 'realistic' && o.deliveriesPerS > 0)
        ? await startWorker<ClientsMessage>('./clientsWorker.js', {
            httpUrl: gateway.httpUrl,
            kind: o.load,
            drones: o.drones,
            wsClients: o.wsClients,
            deliveriesPerS: o.load === 'realistic' ? o.deliveriesPerS : 0,
          } satisfies ClientsConfig)
        : null
    if (clients) cleanup.push(() => clients.terminate())

    const config: PublisherConfig = {
      brokerUrl,
      prefix,
      phases: sentPhases,
      drones: o.drones,
      connections: o.connections,
      format: o.format,
      batchSize: o.batchSize,
      lingerMs: o.lingerMs,
      qos: o.qos,
      window: o.window,
      wsClients: o.wsClients,
      load: o.load,
      duplicateRate: o.duplicateRate,
      reorderRate: o.reorderRate,
    } satisfies Required<PublisherConfig>
    const worker = new Worker(new URL('./publisherWorker.js', import.meta.url), { workerData: config })
    cleanup.push(() => worker.terminate())
    let sent = 0
    let skipped = 0
    const injected = { duplicates: 0, reordered: 0 }
    let loopFrom: LoopMark | undefined
    let markStarted = (): void => undefined
    const started = new Promise<void>((r) => {
      markStarted = r
    })
    const done = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: PublisherMessage) => {
        if (m.type === 'ready') {
          startAt = wallNow() + 100
          measureAt = startAt + warmupS * 1000
          bare.begin(measureAt)
          worker.postMessage({ startAt } satisfies StartMessage)
          // Requests begin once every idle drone has reported (they go first in each round
          // of the fleet): requests queued for a fleet the engine has not heard of yet are
          // retried on each new drone's first sample, a start-up storm, not the steady state.
          // Even so they begin in the warm-up when it is long enough, so the gateway's first
          // requests (route and schema compilation, module loading) are not measured either.
          const fleetIn = startAt + sentPlan.timeOf(Math.min(world.idle, sentPlan.total - 1)) * 1000 + 100
          clients?.postMessage({
            type: 'start',
            measureAt,
            startAt: fleetIn,
            until: measureAt + plan.durationS * 1000,
          } satisfies ClientsCommand)
          // The engine's loop (and its decoder thread's) busy time is counted from the measured phase on.
          setTimeout(() => {
            loopFrom = markEngineLoop(accepted, engine.decoder)
          }, measureAt - wallNow()).unref()
          markStarted()
        } else if (m.type === 'progress') sent = m.sent
        else if (m.type === 'done') {
          sent = m.sent
          skipped = m.skipped
          injected.duplicates = m.duplicates
          injected.reordered = m.reordered
          resolve()
        } else if (m.type === 'error') reject(new Error(`the load publisher failed: ${m.message}`))
      })
      worker.on('error', reject)
    })
    await deadline(Promise.race([started, done]), 60_000, () => 'the load publisher did not start')

    let stopped = false
    const tick = (): void => {
      const second = Math.floor((wallNow() - measureAt) / 1000)
      void bare.report().then((b) => {
        if (!stopped)
          o.onSecond?.({
            second,
            sent,
            engine: engineStats.series()[second - 1] ?? 0,
            bare: b.perSecond[second - 1] ?? 0,
            p99: engineStats.summary().p99,
          })
      })
    }
    // A line at once: with a warm-up it is the warm-up's, whatever a busy machine does to the first interval.
    tick()
    const ticker = setInterval(tick, 1000)
    cleanup.push(async () => clearInterval(ticker))
    await deadline(done, (sentPlan.durationS + 60) * 1000, () => `the load publisher had sent ${sent} of ${sentPlan.total} positions`)
    // Drain: wait until both paths have what was sent, or two quiet seconds.
    for (let last = -1, quiet = 0; quiet < 20; ) {
      const b = await deadline(bare.report(), 30_000, () => 'the bare-pipe subscriber did not report')
      if (seqs.received >= sent && b.unique >= sent) break
      const now = seqs.received + b.unique
      quiet = now === last ? quiet + 1 : 0
      last = now
      await new Promise((r) => setTimeout(r, 100))
    }
    stopped = true
    clearInterval(ticker)
    const b = await deadline(bare.report(), 30_000, () => 'the bare-pipe subscriber did not report')
    const ws = clients ? await deadline(askCounts(clients), 30_000, () => 'the tracking clients did not report') : null
    const loop = loopFrom && engineLoop(loopFrom, accepted, engine.decoder)
    // Rates over the time the messages took to arrive, not the time planned
    // for sending them: a pipeline that falls behind shows a lower rate.
    const span = (last: number): number => Math.max(plan.durationS, (last - measureAt) / 1000)
    const engineThroughput = Math.round(engineStats.count / span(lastEngineAt))
    const bareThroughput = Math.round(b.measured / span(b.lastAt))
    const bareLost = Math.max(0, sent - b.unique)
    const drops = embedded ? embedded.slowSubscriberDrops : null
    const baseline = judgeBaseline(sent, b.unique, drops)
    const threads = 3 + (clients ? 1 : 0) + (o.broker && o.decoder === 'thread' ? 1 : 0)
    return {
      config: {
        broker: o.broker ?? 'embedded',
        load: o.load,
        phases: o.phases,
        warmupS,
        drones: o.drones,
        connections: o.connections,
        format: o.format,
        batchSize: o.batchSize,
        lingerMs: o.lingerMs,
        qos: o.qos,
        window: o.window,
        wsClients: o.wsClients,
        deliveriesPerS: o.deliveriesPerS,
        duplicateRate: o.duplicateRate,
        reorderRate: o.reorderRate,
        decoder: o.decoder,
        plannedMessages: plan.total,
        durationS: plan.durationS,
      },
      engineLink: embedded ? 'in-process' : o.decoder === 'thread' ? 'mqtt, decoder thread' : 'mqtt',
      delivery: embedded
        ? 'embedded broker; slow-subscriber rule off for both paths (the in-process engine is exempt from it, so the baseline is too)'
        : 'external broker; engine and baseline are both MQTT subscribers under its rules',
      sent,
      skipped,
      injected,
      engine: {
        received: seqs.received,
        accepted,
        filtered: seqs.received + seqs.duplicates - accepted,
        lost: seqs.lost(sent),
        lossRate: sent ? seqs.lost(sent) / sent : 0,
        duplicates: seqs.duplicates,
        reordered: seqs.reordered,
        throughput: engineThroughput,
        latency: engineStats.summary(),
        series: engineStats.series(),
        maxSeries: engineStats.maxSeries(),
      },
      engineLoop: loop ?? null,
      bare: {
        received: b.measured,
        measured: b.measured,
        lost: bareLost,
        lossRate: sent ? bareLost / sent : 0,
        duplicates: b.duplicates,
        reordered: b.reordered,
        throughput: bareThroughput,
        latency: b.latency,
        series: b.perSecond,
        maxSeries: b.maxPerSecond,
      },
      baseline,
      ws: ws
        ? { ...ws, clients: o.wsClients, measuredIn: "a worker thread of the bench process with its own event loop (not the engine's)" }
        : null,
      brokerDrops: drops,
      ratio: baseline.valid && bareThroughput ? Math.round((engineThroughput / bareThroughput) * 1000) / 1000 : null,
      threads,
      cores: availableParallelism(),
    }
  } finally {
    for (const close of cleanup.reverse()) await deadline(close(), 30_000, () => 'a part did not close').catch(() => undefined)
  }
}

/** A worker that says `ready` (or `error`) first. */
async function startWorker<M extends { type: string }>(file: string, data: unknown): Promise<Worker> {
  const worker = new Worker(new URL(file, import.meta.url), { workerData: data })
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: M): void => {
      worker.off('message', onMessage)
      if (m.type === 'ready') resolve()
      else reject(new Error(`${file} failed: ${'message' in m ? String(m.message) : m.type}`))
    }
    worker.on('message', onMessage)
    worker.once('error', reject)
  })
  return worker
}

function askCounts(w: Worker): Promise<ClientsCounts> {
  return new Promise((resolve) => {
    const onMessage = (m: ClientsMessage): void => {
      if (m.type !== 'counts') return
      w.off('message', onMessage)
      const { type: _type, ...counts } = m
      resolve(counts)
    }
    w.on('message', onMessage)
    w.postMessage({ type: 'report' } satisfies ClientsCommand)
  })
}
