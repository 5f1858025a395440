import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { DroneCommand } from '../../protocol/commands.js'
import type { BrokerLink } from '../../protocol/BrokerLink.js'
import type { TelemetrySample } from '../../protocol/telemetry.js'
import type { Topics } from '../../protocol/topics.js'
import type { Store } from '../../store/Store.js'
import { Engine, type EngineOptions } from '../Engine.js'
import { BatchScratch } from './BatchScratch.js'
import type { HandlerContext, Publish } from './HandlerContext.js'
import { IdleClock } from './IdleClock.js'
import { LagProbe } from './LagProbe.js'
import { Outbox } from './Outbox.js'
import { releaseHeld } from './handleRequest.js'
import { applyAccepted, awaitsEngine, recoverFromStore, type Recovery } from './recoverFromStore.js'
import { resolveMqttEngineOptions } from './mqttEngineOptions.js'
import { SweepGrace } from './SweepGrace.js'
import { TopicRouter } from './TopicRouter.js'
import { DecodedFrameReader, FrameSlabs } from './DecodedFrame.js'
import { handleDecodedFrame } from './handleDecodedFrame.js'
import { TelemetryDecoder } from './TelemetryDecoder.js'

export interface MqttEngineOptions extends Omit<EngineOptions, 'sink'> {
  mqtt: BrokerLink
  topics: Topics
  /** Wall clock: stamps requests that arrive before any telemetry (no drone), measures lag (EngineStats.lagMs), drives the idle clock. */
  now?: () => number
  logger?: Logger
  /**
   * How often the adapter advances event time itself while no simulator
   * clock drives it, ms (default 1000; 0 turns it off). See IdleClock.
   */
  clockTickMs?: number
  /** How long after the last `sim/clock` message the adapter takes the clock back, wall ms. Default 5000. */
  simClockQuietMs?: number
  /**
   * How far ahead of the engine's clock a sample may be stamped, ms (default
   * 3000): of the simulator's in lockstep, else of the fleet's and its own
   * drone's (see IdleClock). A sample further ahead is rejected as `future`.
   */
  maxFutureMs?: number
  /** How often the adapter sends its lag probe through the broker, wall ms (default 1000; 0 turns it off). See LagProbe. */
  lagProbeMs?: number
  /** Hears every sample the engine accepted, after it was applied, with the wall time it was processed at (load tests measure latency with it). */
  observe?: (s: TelemetrySample, at: number) => void
  /** Hears every decoded sample before the engine's seq filter decides on it (load tests count duplicates and reordering there). */
  receive?: (s: TelemetrySample) => void
  /** The durable store: events are committed before they are published, and a start recovers from it (engine/mqtt/Outbox.ts, recoverFromStore.ts). */
  store?: Store
  /** The region this engine holds in the store and listens for (its topics: `topics.forRegion(region)`). Default: the topics' region. */
  region?: string
  /** The epoch its lease granted (RegionLeases); without one, the engine takes the region with claimEpoch. */
  epoch?: number
  /**
   * The regions whose telemetry, batches, requests and `sim/clock` it
   * subscribes to, each on its own topics (Topics.forRegion); a clock is
   * answered on its own region's `engine/watermark`. Default: the one of
   * `topics`. (`run` passes a scenario's regions here; the store lease is
   * still the one `region`.)
   */
  regions?: readonly string[]
  /** How often, with a store, accepted deliveries no engine created are looked for, wall ms (default 5000; 0 turns it off). */
  storeSweepMs?: number
  /**
   * Over an external broker: what the engine reads (telemetry, batches,
   * requests, `sim/clock`, its lag probe) comes over a connection of its own
   * in a decoder thread (TelemetryDecoder), in the order the broker sent it,
   * so MQTT parsing and JSON decoding leave the engine's event loop; `mqtt`
   * then only carries what the engine publishes. `url` holds the engine's
   * credentials; `clientId` must be unique.
   */
  decoder?: { url: string; clientId: string; maxBacklog?: number }
  /**
   * How often, with a store, what the engine learned (Engine.learned: wind,
   * drones' factors, handling times, ETA errors) is saved there for the
   * region's next engine, wall ms (default 30,000; 0: only at close).
   */
  learnedSaveMs?: number
}

export interface MqttEngine {
  engine: Engine
  /** With a store: what the start recovered, whether another engine fenced this one off, and a promise of everything decided so far having gone out. */
  store?: { recovery: Recovery; fenced(): boolean; drained(): Promise<void> }
  /** The telemetry decoder thread, when it reads telemetry (MqttEngineOptions.decoder). */
  decoder?: TelemetryDecoder
  close(): Promise<void>
}

/**
 * The engine's MQTT adapter: wiring only. The router hands each message to
 * its handler (handleTelemetry, handleBatchFrame, handleRequest,
 * handleClock, handleProbe), which decodes it, gives it to the pure core and
 * never throws; the core's decisions are published here; the idle clock
 * advances event time when no simulator does (see IdleClock); the lag probe
 * measures, in wall time, how long a message waits for the engine (LagProbe).
 */
export async function startMqttEngine(options: MqttEngineOptions): Promise<MqttEngine> {
  const o = resolveMqttEngineOptions(options)
  const { mqtt, now } = o
  // The region's engine listens on the region's topics.
  const region = o.region ?? o.topics.region
  const t = o.topics.forRegion(region)
  const publish: Publish = (topic, body, qos) => {
    mqtt.publish(topic, JSON.stringify(body), { qos }, (err) => {
      if (err) o.logger?.warn({ err, topic }, 'publish failed')
    })
  }
  const store = o.store
  // The region is taken before anything is decided: every write of an engine that held it before is refused from now on.
  const epoch = o.epoch ?? (store ? await store.claimEpoch(region) : 0)
  let outbox: Outbox | undefined
  const sendCommand = (c: DroneCommand): void => publish(t.commands(c.droneId), c, 1)
  const engine = new Engine({
    ...o,
    // Command ids never repeat across engines on one store: a drone told its mission again knows it by its id.
    ...(store && o.commandIdPrefix === undefined ? { commandIdPrefix: `c${epoch}-` } : {}),
    sink: {
      command: (c) => (outbox ? outbox.command(c) : sendCommand(c)),
      event: (e) => (outbox ? outbox.event(e) : publish(t.deliveryEvents(e.deliveryId), e, 1)),
      // Tracking is published while its sample is applied: it carries that sample's wall-clock receipt. Not durable: the next one supersedes it.
      tracking: (m) => {
        if (!outbox?.fenced) publish(t.tracking(m.deliveryId), { ...m, receivedAt: received.at }, 0)
      },
    },
  })
  if (store) {
    outbox = new Outbox({
      store,
      writer: { region, epoch },
      logger: o.logger,
      sendCommand,
      state: (id) => {
        const s = engine.snapshot(id)
        return s && JSON.stringify(s)
      },
      sendEvent: (e) =>
        new Promise((resolve, reject) => {
          mqtt.publish(t.deliveryEvents(e.deliveryId), JSON.stringify(e), { qos: 1 }, (err) => (err ? reject(err) : resolve()))
        }),
    })
  }
  const recovered = store && outbox ? await recoverFromStore(engine, store, region, outbox, o.logger) : undefined
  const recovery = recovered?.recovery
  const sweepMs = o.storeSweepMs
  const grace = new SweepGrace()
  const sweep =
    store && sweepMs > 0
      ? setInterval(() => {
          // Not before the engine has a clock: recovery's own creations wait for it too.
          if (!ctx.idleClock.known()) return
          store
            .openDeliveries(region)
            .then(
              (open) =>
                applyAccepted(
                  engine,
                  grace.due(
                    open.map((d) => d.delivery),
                    (d) => awaitsEngine(engine, d),
                  ),
                  () => ctx.idleClock.eventNow(),
                ),
              (err: unknown) => o.logger?.warn({ err }, 'could not look for accepted deliveries in the store'),
            )
            .catch((err: unknown) => o.logger?.error({ err }, 'engine failed creating accepted deliveries'))
        }, sweepMs)
      : undefined
  sweep?.unref()
  // What the engine learned outlives it: saved now and then, and at close; a restart loses at most one period of it.
  let savedAt = -1
  let saving: Promise<void> = Promise.resolve()
  const saveLearned = (): Promise<void> => {
    if (!store || !outbox || outbox.fenced || engine.now === savedAt) return saving
    const at = engine.now
    saving = saving
      .then(() => store.saveLearned({ region, epoch }, JSON.stringify(engine.learned())))
      .then(
        () => {
          savedAt = at
        },
        (err: unknown) => o.logger?.warn({ err }, 'could not save what the engine learned in the store'),
      )
    return saving
  }
  const learnedTimer = store && o.learnedSaveMs > 0 ? setInterval(() => void saveLearned(), o.learnedSaveMs) : undefined
  learnedTimer?.unref()
  const received = { at: 0 }
  const probeMs = o.lagProbeMs
  const probe = probeMs > 0 ? new LagProbe(now) : undefined
  const probeTopic = t.engineProbe(randomBytes(6).toString('hex'))
  const ctx: HandlerContext = {
    engine,
    topics: t,
    now,
    publish,
    // With a store a start may be a restart: requests wait for the event time (IdleClock.known) from now on.
    idleClock: new IdleClock(now, o.simClockQuietMs, o.maxFutureMs, store ? now() : undefined),
    scratch: new BatchScratch(),
    observe: o.observe,
    receive: o.receive,
    logger: o.logger,
    probe,
    received,
    afterDecisions: (fn) => (outbox ? outbox.after(fn) : fn()),
    ...(store ? { untilClock: [] } : {}),
  }
  const accepted = recovered?.accepted ?? []
  if (accepted.length > 0) {
    ctx.untilClock?.push(() => applyAccepted(engine, accepted, () => ctx.idleClock.eventNow()))
    releaseHeld(ctx)
  }

  const tick = (): void => {
    releaseHeld(ctx)
    const at = ctx.idleClock.due()
    if (at === undefined) return
    try {
      engine.advance(at)
    } catch (err) {
      o.logger?.error({ err }, 'engine failed advancing its clock')
    }
  }
  const tickMs = o.clockTickMs
  const timer = tickMs > 0 ? setInterval(tick, tickMs) : undefined
  timer?.unref()
  const probeTimer = probe
    ? setInterval(() => {
        if (mqtt.connected) mqtt.publish(probeTopic, probe.send(), { qos: 0 })
        engine.recordLag(probe.lagMs())
      }, probeMs)
    : undefined
  probeTimer?.unref()

  // One router per region, each with a context on that region's topics (the rest of the context is shared).
  const routes = (o.regions ?? [t.region]).map((region, k) => {
    const rt = region === t.region ? t : t.forRegion(region)
    return { router: new TopicRouter(rt, k === 0 && probe ? probeTopic : undefined), ctx: rt === t ? ctx : { ...ctx, topics: rt } }
  })
  const onMessage = (topic: string, payload: Buffer): void => {
    for (let k = 0; k < routes.length; k++) {
      const r = routes[k]!
      const handler = r.router.route(topic)
      if (handler) {
        handler(r.ctx, topic, payload)
        return
      }
    }
  }
  mqtt.on('message', onMessage)
  const subscriptions: Record<string, { qos: 0 | 1 }> = {}
  for (const { ctx: c } of routes) {
    subscriptions[c.topics.telemetryAll] = { qos: 0 }
    subscriptions[c.topics.telemetryBatchAll] = { qos: 0 }
    subscriptions[c.topics.requests] = { qos: 1 }
    subscriptions[c.topics.simClock] = { qos: 1 }
  }
  if (probe) subscriptions[probeTopic] = { qos: 0 }
  // With a decoder, everything the engine reads comes over its one connection, in the order the broker sent it:
  // a clock says "all sent up to t", and a request POSTed before it must not arrive after it on another connection.
  const decoder = o.decoder
    ? await startDecoder(
        o.decoder,
        ctx,
        routes.map((r) => r.ctx.topics.region),
        subscriptions,
        onMessage,
      )
    : undefined
  if (!decoder) await mqtt.subscribeAsync(subscriptions)
  const ob = outbox
  return {
    engine,
    ...(recovery && ob ? { store: { recovery, fenced: () => ob.fenced, drained: () => ob.drained() } } : {}),
    ...(decoder ? { decoder } : {}),
    async close() {
      if (timer) clearInterval(timer)
      if (probeTimer) clearInterval(probeTimer)
      if (sweep) clearInterval(sweep)
      if (learnedTimer) clearInterval(learnedTimer)
      mqtt.off('message', onMessage)
      await decoder?.close()
      // What was decided goes out (committed first) before the link may close; over a dead link it never would (a restart re-sends it from the store).
      if (ob && mqtt.connected) {
        await new Promise((resolve) => setImmediate(resolve))
        await ob.drained()
      }
      if (!decoder && mqtt.connected) await mqtt.unsubscribeAsync(Object.keys(subscriptions)).catch(() => undefined)
      await saveLearned()
    },
  }
}

/** Starts the decoder thread: its samples go to the engine through `ctx`, anything else it reads to the router. */
function startDecoder(
  d: NonNullable<MqttEngineOptions['decoder']>,
  ctx: HandlerContext,
  regions: string[],
  subscriptions: Record<string, { qos: 0 | 1 }>,
  onMessage: (topic: string, payload: Buffer) => void,
): Promise<TelemetryDecoder> {
  const slabs = new FrameSlabs()
  const reader = new DecodedFrameReader(slabs)
  const sample: TelemetrySample = { droneId: '', seq: 0, ts: 0, lat: 0, lon: 0, alt: 0, speed: 0, heading: 0, battery: 0, state: 'idle' }
  return TelemetryDecoder.start(
    {
      ...d,
      prefix: ctx.topics.prefix,
      regions,
      subscriptions,
      slabs,
      logger: ctx.logger,
    },
    (m) => {
      if (m.kind === 'raw') {
        onMessage(m.topic, Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength))
        return
      }
      handleDecodedFrame(ctx, reader, sample, m)
    },
  )
}
