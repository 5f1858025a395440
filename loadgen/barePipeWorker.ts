/**
 * The bare pipe's thread: a plain MQTT subscriber that reads each position's
 * drone, seq and intended time (a JSON message holds one, a batch frame
 * many) and does nothing else with it. It has a thread of its own so that
 * what it measures is what the broker delivers, not what is left of an
 * event loop it shares with the engine. It keeps its own loss, duplicate,
 * reordering and latency figures, so a baseline that falls behind or loses
 * messages says so instead of passing as a ceiling.
 */
import { parentPort, workerData } from 'node:worker_threads'
import mqtt from 'mqtt'
import { decodeBatch } from '../protocol/batchCodec.js'
import { topics as makeTopics } from '../protocol/topics.js'
import { LatencyStats, type LatencySummary } from './LatencyStats.js'
import { SeqTracker } from './SeqTracker.js'

export interface BarePipeConfig {
  brokerUrl: string
  prefix: string
}

/** Main thread → worker. */
/** `start`: measure positions intended from startAt (wall ms) on; every one counts for loss. */
export type BarePipeCommand = { type: 'start'; startAt: number } | { type: 'report' }

export interface BarePipeCounts {
  /** Positions intended from startAt on that arrived (first arrivals). */
  measured: number
  /** Distinct positions that arrived, warm-up included: loss is counted on these. */
  unique: number
  duplicates: number
  reordered: number
  /** Wall ms of the last arrival. */
  lastAt: number
  /** Measured arrivals per second since startAt. */
  perSecond: number[]
  /** The highest latency of each second's arrivals, ms. */
  maxPerSecond: number[]
  latency: LatencySummary
}

/** Worker → main thread. */
export type BarePipeMessage = { type: 'ready' } | ({ type: 'counts' } & BarePipeCounts) | { type: 'error'; message: string }

const wallNow = (): number => performance.timeOrigin + performance.now()

async function main(c: BarePipeConfig): Promise<void> {
  const port = parentPort!
  const t = makeTopics(c.prefix)
  const batchPrefix = `${t.prefix}/telemetry-batch/`
  const client = await mqtt.connectAsync(c.brokerUrl, { clientId: `dronefleet-bench-bare-${process.pid}`, reconnectPeriod: 0 })
  ;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
  let startAt = Infinity
  let lastAt = 0
  const seqs = new SeqTracker()
  const stats = new LatencyStats()
  const arrive = (drone: string | number, seq: number, ts: number, now: number): void => {
    const before = seqs.received
    seqs.add(drone, seq)
    if (seqs.received > before && ts >= startAt) stats.record((now - startAt) / 1000, now - ts)
  }
  client.on('message', (topic, payload) => {
    const now = wallNow()
    lastAt = now
    try {
      if (topic.startsWith(batchPrefix)) {
        const r = decodeBatch(payload)
        for (let i = 0; i < r.count; i++) arrive(r.drone(i), r.seq(i), r.ts(i), now)
      } else {
        const s = JSON.parse(payload.toString()) as { droneId: string; seq: number; ts: number }
        arrive(s.droneId, s.seq, s.ts, now)
      }
    } catch {
      // Not a position: the load sends none such; the engine's figures show what it rejected.
    }
  })
  await client.subscribeAsync({ [t.telemetryAll]: { qos: 0 }, [t.telemetryBatchAll]: { qos: 0 } })
  port.on('message', (m: BarePipeCommand) => {
    if (m.type === 'start') startAt = m.startAt
    else {
      port.postMessage({
        type: 'counts',
        measured: stats.count,
        unique: seqs.received,
        duplicates: seqs.duplicates,
        reordered: seqs.reordered,
        lastAt,
        perSecond: stats.series(),
        maxPerSecond: stats.maxSeries(),
        latency: stats.summary(),
      } satisfies BarePipeMessage)
    }
  })
  port.postMessage({ type: 'ready' } satisfies BarePipeMessage)
}

main(workerData as BarePipeConfig).catch((err: unknown) => {
  parentPort?.postMessage({ type: 'error', message: (err as Error).message } satisfies BarePipeMessage)
})
