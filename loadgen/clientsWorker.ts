/**
 * The service's users, in a thread of their own (not the engine's event
 * loop): they POST delivery requests to the gateway at a set rate, and the
 * first `wsClients` of them open a tracking WebSocket each. Telemetry →
 * WebSocket latency is read here, from the sample's intended send time (the
 * tracking message's `ts`) to its arrival on this thread's clock.
 */
import { parentPort, workerData } from 'node:worker_threads'
import WebSocket from 'ws'
import type { TrackMessage } from '../protocol/tracking.js'
import { LatencyStats, type LatencySummary } from './LatencyStats.js'
import type { LoadKind } from './LoadWorld.js'
import { LoadWorld } from './LoadWorld.js'

export interface ClientsConfig {
  httpUrl: string
  kind: LoadKind
  drones: number
  wsClients: number
  /** Delivery requests per second after the tracked ones. */
  deliveriesPerS: number
}

/** `start`: requests from startAt (wall ms) until `until`; latency of tracking messages intended from measureAt on. */
export type ClientsCommand = { type: 'start'; measureAt: number; startAt: number; until: number } | { type: 'report' }

export interface ClientsCounts {
  posted: number
  refused: number
  /** Tracking sockets open. */
  connected: number
  /** Tracking sockets open when the measurement began: fewer than asked means the warm-up was too short for them. */
  connectedAtMeasure: number
  latency: LatencySummary
}

export type ClientsMessage = { type: 'ready' } | ({ type: 'counts' } & ClientsCounts) | { type: 'error'; message: string }

const wallNow = (): number => performance.timeOrigin + performance.now()

async function main(c: ClientsConfig): Promise<void> {
  const port = parentPort!
  const world = new LoadWorld(c.kind, c.drones, c.wsClients)
  const stats = new LatencyStats()
  const sockets: WebSocket[] = []
  let posted = 0
  let refused = 0
  let connected = 0
  let connectedAtMeasure = 0
  let measureAt = Infinity
  const post = async (k: number): Promise<string | null> => {
    const res = await fetch(`${c.httpUrl}/v1/deliveries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(world.request(k)),
    })
    posted++
    if (!res.ok) {
      refused++
      await res.arrayBuffer()
      return null
    }
    return ((await res.json()) as { trackingUrl: string }).trackingUrl
  }
  const track = (url: string): void => {
    const ws = new WebSocket(url)
    ws.on('open', () => connected++)
    ws.on('error', () => undefined)
    ws.on('message', (data) => {
      const now = wallNow()
      const m = JSON.parse(String(data)) as TrackMessage
      if (m.type === 'tracking' && m.ts >= measureAt) stats.record((now - measureAt) / 1000, now - m.ts)
    })
    sockets.push(ws)
  }
  const run = async (startAt: number, until: number): Promise<void> => {
    const wait = startAt - wallNow()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    // The tracked deliveries first, a few hundred requests at a time: 10,000 of them must be in before the measurement.
    for (let k = 0; k < c.wsClients; k += 250) {
      const urls = await Promise.all(Array.from({ length: Math.min(250, c.wsClients - k) }, (_, j) => post(k + j)))
      for (const u of urls) if (u) track(u)
    }
    // Then an open-model stream of requests: dispatch and planning work for the engine.
    if (c.deliveriesPerS <= 0) return
    const began = wallNow()
    for (let k = c.wsClients; wallNow() < until; k++) {
      const at = began + ((k - c.wsClients) * 1000) / c.deliveriesPerS
      const wait = at - wallNow()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      void post(k).catch(() => {
        refused++
      })
    }
  }
  port.on('message', (m: ClientsCommand) => {
    if (m.type === 'start') {
      measureAt = m.measureAt
      setTimeout(
        () => {
          connectedAtMeasure = connected
        },
        Math.max(0, measureAt - wallNow()),
      ).unref()
      run(m.startAt, m.until).catch((err: unknown) =>
        port.postMessage({ type: 'error', message: (err as Error).message } satisfies ClientsMessage),
      )
    } else
      port.postMessage({
        type: 'counts',
        posted,
        refused,
        connected,
        connectedAtMeasure,
        latency: stats.summary(),
      } satisfies ClientsMessage)
  })
  port.postMessage({ type: 'ready' } satisfies ClientsMessage)
}

main(workerData as ClientsConfig).catch((err: unknown) => {
  parentPort?.postMessage({ type: 'error', message: (err as Error).message } satisfies ClientsMessage)
})
