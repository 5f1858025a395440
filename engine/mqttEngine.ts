import type { Logger } from 'pino'
import { BatchError, batchDroneId, decodeBatch, type BatchReader } from '../protocol/batchCodec.js'
import { decodeClock } from '../protocol/clock.js'
import { decodeRequest } from '../protocol/requests.js'
import { decodeTelemetryJson, TelemetryError, type TelemetrySample } from '../protocol/telemetry.js'
import type { Topics } from '../protocol/topics.js'
import { Engine, type EngineOptions } from './Engine.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'

export interface MqttEngineOptions extends Omit<EngineOptions, 'sink'> {
  mqtt: BrokerLink
  topics: Topics
  /** Wall clock: stamps requests that arrive before any telemetry, measures lag (EngineStats.lagMs), drives the idle clock. */
  now?: () => number
  logger?: Logger
  /**
   * How often the adapter advances event time itself while no simulator
   * clock drives it, ms (default 1000; 0 turns it off). See startMqttEngine.
   */
  clockTickMs?: number
  /** How long after the last `sim/clock` message the adapter takes the clock back, wall ms. Default 5000. */
  simClockQuietMs?: number
  /** Hears every sample the engine accepted, after it was applied, with the wall time it was processed at (load tests measure latency with it). */
  observe?: (s: TelemetrySample, at: number) => void
}

export interface MqttEngine {
  engine: Engine
  close(): Promise<void>
}

/**
 * The engine's MQTT adapter: decodes what arrives, hands it to the pure core,
 * publishes what the core decides. A bad message is counted and logged, never
 * thrown: one broken drone must not stop the fleet.
 *
 * Event time. The core's clock moves with the samples it is given, and
 * advance(t) — which runs the supervisor and the deadline checks — comes from
 * the simulator's `sim/clock`. Without a simulator nothing would call it, and
 * a drone that falls silent would never be found out: silence produces no
 * message. So while no `sim/clock` has arrived for `simClockQuietMs`, the
 * adapter advances event time itself every `clockTickMs`, as the latest
 * sample's event time plus the wall time elapsed since that sample arrived.
 * This needs no agreement between the drones' clocks and ours (only elapsed
 * wall time is used), and it never runs ahead of a simulator: a simulator at
 * ×100 or paused in lockstep keeps sending `sim/clock`, which keeps the
 * adapter's own clock off.
 */
export async function startMqttEngine(o: MqttEngineOptions): Promise<MqttEngine> {
  const { mqtt, topics: t } = o
  const now = o.now ?? Date.now
  const publish = (topic: string, body: unknown, qos: 0 | 1): void => {
    mqtt.publish(topic, JSON.stringify(body), { qos }, (err) => {
      if (err) o.logger?.warn({ err, topic }, 'publish failed')
    })
  }
  const engine = new Engine({
    ...o,
    sink: {
      command: (c) => publish(t.commands(c.droneId), c, 1),
      event: (e) => publish(t.deliveryEvents(e.deliveryId), e, 1),
      tracking: (m) => publish(t.tracking(m.deliveryId), m, 0),
    },
  })

  let simClockAt = -Infinity
  let latestTs = 0
  let latestAt = 0
  const quietMs = o.simClockQuietMs ?? 5000
  const tick = (): void => {
    const wall = now()
    if (latestAt === 0 || wall - simClockAt < quietMs) return
    try {
      engine.advance(latestTs + (wall - latestAt))
    } catch (err) {
      o.logger?.error({ err }, 'engine failed advancing its clock')
    }
  }
  const tickMs = o.clockTickMs ?? 1000
  const timer = tickMs > 0 ? setInterval(tick, tickMs) : undefined
  timer?.unref()

  // `wall`: when the message was taken in; a batch's records share their frame's.
  const accept = (sample: TelemetrySample, wall: number): boolean => {
    if (!engine.handleTelemetry(sample)) return false
    engine.recordLag(wall - sample.ts)
    if (sample.ts >= latestTs) {
      latestTs = sample.ts
      latestAt = wall
    }
    return true
  }
  // Batch records are applied through one reused sample: the core copies
  // what it keeps, so a frame of thousands allocates no objects but ids.
  const batchPrefix = `${t.prefix}/telemetry-batch/`
  const ids: string[] = []
  const scratch: TelemetrySample = { droneId: '', seq: 0, ts: 0, lat: 0, lon: 0, alt: 0, speed: 0, heading: 0, battery: 0, state: 'idle' }
  const read = (r: BatchReader, i: number): TelemetrySample => {
    const n = r.drone(i)
    scratch.droneId = ids[n] ??= batchDroneId(n)
    scratch.seq = r.seq(i)
    scratch.ts = r.ts(i)
    scratch.lat = r.lat(i)
    scratch.lon = r.lon(i)
    scratch.alt = r.alt(i)
    scratch.speed = r.speed(i)
    scratch.heading = r.heading(i)
    scratch.battery = r.battery(i)
    scratch.state = r.state(i)
    return scratch
  }
  let taken = new Uint32Array(1024)
  const ingestBatch = (payload: Buffer): void => {
    const r = decodeBatch(payload)
    const wall = now()
    if (!o.observe) {
      for (let i = 0; i < r.count; i++) accept(read(r, i), wall)
      return
    }
    // Observed once the whole frame is applied, at that time: the figure is to engine-processed.
    if (taken.length < r.count) taken = new Uint32Array(r.count)
    let k = 0
    for (let i = 0; i < r.count; i++) if (accept(read(r, i), wall)) taken[k++] = i
    const done = now()
    for (let j = 0; j < k; j++) o.observe(read(r, taken[j] as number), done)
  }

  const onMessage = (topic: string, payload: Buffer): void => {
    try {
      if (topic === t.simClock) {
        const c = decodeClock(payload)
        if (!c) return
        simClockAt = now()
        engine.advance(c.t)
        publish(t.engineWatermark, { t: c.t }, 1)
        return
      }
      if (topic === t.requests) {
        const r = decodeRequest(payload)
        if (r) engine.handleRequest(r, now())
        else o.logger?.warn({ topic }, 'ignored an undecodable request')
        return
      }
      if (topic.startsWith(batchPrefix)) {
        ingestBatch(payload)
        return
      }
      const droneId = t.droneIdOf(topic)
      if (droneId === undefined) return
      const sample = decodeTelemetryJson(payload)
      if (sample.droneId !== droneId) {
        throw new TelemetryError('topic', `telemetry for "${sample.droneId}" arrived on the topic of "${droneId}"`, 'droneId', sample.droneId)
      }
      const wall = now()
      if (accept(sample, wall)) o.observe?.(sample, wall)
    } catch (err) {
      if (err instanceof BatchError) {
        // One corrupt or truncated frame is dropped whole and counted once.
        engine.rejectTelemetry('malformed')
        o.logger?.debug({ topic, reason: err.reason, field: err.field }, err.message)
        return
      }
      if (err instanceof TelemetryError) {
        engine.rejectTelemetry(err.reason)
        o.logger?.debug({ topic, field: err.field, reason: err.reason }, err.message)
      } else {
        o.logger?.error({ err, topic }, 'engine failed on a message')
      }
    }
  }

  mqtt.on('message', onMessage)
  await mqtt.subscribeAsync({ [t.telemetryAll]: { qos: 0 }, [t.telemetryBatchAll]: { qos: 0 }, [t.requests]: { qos: 1 }, [t.simClock]: { qos: 1 } })
  return {
    engine,
    async close() {
      if (timer) clearInterval(timer)
      mqtt.off('message', onMessage)
      if (mqtt.connected) await mqtt.unsubscribeAsync([t.telemetryAll, t.telemetryBatchAll, t.requests, t.simClock]).catch(() => undefined)
    },
  }
}
