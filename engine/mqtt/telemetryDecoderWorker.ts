/**
 * The engine's telemetry decoder thread (TelemetryDecoder starts it): over an
 * external broker, it holds the connection everything the engine reads
 * arrives on, so reading MQTT packets and decoding JSON samples happen off
 * the engine's event loop. What arrived within a millisecond is handed over as one
 * message (DecodedFrame.ts), in arrival order. The engine's thread acknowledges
 * what it applied through shared memory; past `maxBacklog` samples not yet
 * applied, the decoder stops reading its socket until the engine catches up,
 * so a slow engine pushes back on the broker as it does when it reads the
 * socket itself, instead of queueing without bound here.
 */
import { parentPort, workerData } from 'node:worker_threads'
import pino from 'pino'
import { connectMqtt } from '../../broker/connectMqtt.js'
import { TelemetryError, decodeTelemetryJson } from '../../protocol/telemetry.js'
import { topics as makeTopics } from '../../protocol/topics.js'
import { DecodedFrameWriter, type DecodedMessage, FrameSlabs } from './DecodedFrame.js'
import { BACKLOG, CPU_MS, type DecoderCommand, type DecoderConfig, type DecoderStatus, PAUSED, PAUSES } from './TelemetryDecoder.js'
import { threadCpuMs } from './threadCpuMs.js'

async function main(c: DecoderConfig): Promise<void> {
  const port = parentPort!
  const logger = c.logLevel ? pino({ level: c.logLevel, base: { part: 'engine-decoder' } }, pino.destination(2)) : undefined
  const shared = new Int32Array(c.shared)
  const root = makeTopics(c.prefix)
  // Per region: the JSON telemetry topics' prefix and the region's topics (to read the drone id from a topic).
  const json = c.regions.map((r) => {
    const t = root.forRegion(r)
    return { prefix: t.telemetry(''), topics: t }
  })
  const client = await connectMqtt(c.url, c.clientId, { persistent: true, logger })
  const socket = (): { pause(): unknown; resume(): unknown } => client.stream as unknown as { pause(): unknown; resume(): unknown }
  const frame = new DecodedFrameWriter(new FrameSlabs(c.slabs.records, c.slabs.state))
  // What this thread costs, for load tests: CPU time, not event-loop time, which counts waiting for a core.
  const cpu = (): void => {
    Atomics.store(shared, CPU_MS, Math.round(threadCpuMs() ?? -1))
  }
  cpu()
  setInterval(cpu, 100).unref()
  let flushQueued = false

  let flushTimer: NodeJS.Timeout | undefined
  const flush = (): void => {
    if (flushQueued) clearTimeout(flushTimer)
    flushQueued = false
    if (!frame.pending) return
    const n = frame.count
    const f = frame.finish()
    Atomics.add(shared, BACKLOG, n)
    port.postMessage(f satisfies DecodedMessage, f.records ? [f.records.buffer as ArrayBuffer] : [])
    if (Atomics.load(shared, BACKLOG) > c.maxBacklog && Atomics.load(shared, PAUSED) === 0) {
      Atomics.store(shared, PAUSED, 1)
      socket().pause()
      Atomics.add(shared, PAUSES, 1)
      // The engine may have caught up between the two reads: it resumes only a pause it saw.
      if (Atomics.load(shared, BACKLOG) <= c.maxBacklog / 2 && Atomics.compareExchange(shared, PAUSED, 1, 0) === 1) socket().resume()
    }
  }
  // The drone a JSON telemetry topic names ('' for such a topic that names none); undefined for any other topic.
  const droneOf = (topic: string): string | undefined => {
    for (const j of json) if (topic.startsWith(j.prefix)) return j.topics.droneIdOf(topic) ?? ''
    return undefined
  }

  client.on('message', (topic, payload) => {
    const droneId = droneOf(topic)
    if (droneId === undefined) {
      // Not JSON telemetry: what came before it goes first.
      flush()
      const copy = new Uint8Array(payload)
      port.postMessage({ kind: 'raw', topic, payload: copy } satisfies DecodedMessage, [copy.buffer])
      return
    }
    if (droneId === '') return
    try {
      const sample = decodeTelemetryJson(payload)
      if (sample.droneId !== droneId) {
        throw new TelemetryError(
          'topic',
          `telemetry for "${sample.droneId}" arrived on the topic of "${droneId}"`,
          'droneId',
          sample.droneId,
        )
      }
      frame.push(sample)
    } catch (err) {
      if (!(err instanceof TelemetryError)) throw err
      frame.reject(err.reason)
      logger?.debug({ topic, field: err.field, reason: err.reason }, err.message)
    }
    // A frame per millisecond, or per full frame: MQTT.js hands packets over one at a time, and a message per sample would cost more than the decoding saved.
    if (frame.full) flush()
    else if (!flushQueued) {
      flushQueued = true
      flushTimer = setTimeout(flush, 1)
    }
  })
  port.on('message', (m: DecoderCommand) => {
    if (m.type === 'resume') socket().resume()
    else {
      flush()
      const stopped = (): void => port.postMessage({ kind: 'stopped' } satisfies DecoderStatus)
      // Its session outlives it on the broker: left without subscriptions, nothing is queued for it.
      const unsubscribed = client.connected
        ? client.unsubscribeAsync(Object.keys(c.subscriptions)).catch(() => undefined)
        : Promise.resolve()
      unsubscribed.then(() => client.endAsync()).then(stopped, stopped)
    }
  })
  await client.subscribeAsync(c.subscriptions)
  port.postMessage({ kind: 'ready' } satisfies DecoderStatus)
}

main(workerData as DecoderConfig).catch((err: unknown) => {
  parentPort?.postMessage({ kind: 'error', message: (err as Error).message } satisfies DecoderStatus)
})
