/**
 * The bare pipe's thread: a plain MQTT subscriber that only counts positions
 * (a JSON message is one, a batch frame says how many it holds). It has a
 * thread of its own so that what it counts is what the broker delivers, not
 * what is left of an event loop it shares with the engine.
 */
import { parentPort, workerData } from 'node:worker_threads'
import mqtt from 'mqtt'
import { HEADER_BYTES } from '../protocol/batchCodec.js'
import { topics as makeTopics } from '../protocol/topics.js'

export interface BarePipeConfig {
  brokerUrl: string
  prefix: string
}

/** Main thread → worker. */
/** `start`: count arrivals from startAt (wall ms) on. */
export type BarePipeCommand = { type: 'start'; startAt: number } | { type: 'report' }

/** Worker → main thread. */
export type BarePipeMessage =
  | { type: 'ready' }
  | { type: 'counts'; total: number; lastAt: number; perSecond: number[] }
  | { type: 'error'; message: string }

const wallNow = (): number => performance.timeOrigin + performance.now()

async function main(c: BarePipeConfig): Promise<void> {
  const port = parentPort!
  const t = makeTopics(c.prefix)
  const batchPrefix = `${t.prefix}/telemetry-batch/`
  const client = await mqtt.connectAsync(c.brokerUrl, { clientId: `dronefleet-bench-bare-${process.pid}`, reconnectPeriod: 0 })
  ;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
  let startAt = Infinity
  let total = 0
  let lastAt = 0
  const perSecond: number[] = []
  client.on('message', (topic, payload) => {
    const now = wallNow()
    if (now < startAt) return // before the measured load (warm-up)
    const n = topic.startsWith(batchPrefix) ? (payload.byteLength >= HEADER_BYTES ? payload.readUInt32LE(4) : 0) : 1
    total += n
    lastAt = now
    const sec = Math.floor((lastAt - startAt) / 1000)
    while (perSecond.length <= sec) perSecond.push(0)
    perSecond[sec] = (perSecond[sec] as number) + n
  })
  await client.subscribeAsync({ [t.telemetryAll]: { qos: 0 }, [t.telemetryBatchAll]: { qos: 0 } })
  port.on('message', (m: BarePipeCommand) => {
    if (m.type === 'start') startAt = m.startAt
    else port.postMessage({ type: 'counts', total, lastAt, perSecond } satisfies BarePipeMessage)
  })
  port.postMessage({ type: 'ready' } satisfies BarePipeMessage)
}

main(workerData as BarePipeConfig).catch((err: unknown) => {
  parentPort?.postMessage({ type: 'error', message: (err as Error).message } satisfies BarePipeMessage)
})
