import { randomBytes } from 'node:crypto'
import { connect as tcpConnect, type Socket } from 'node:net'
import { connectAsync, type MqttClient } from 'mqtt'
import t from 'tap'
import WebSocket from 'ws'
import type { EngineView } from '../gateway/EngineView.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import type { FleetMessage } from '../gateway/fleetSocket.js'
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/startGateway.js'
import { topics } from '../protocol/topics.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { DroneView, EngineStats } from '../protocol/views.js'
import { until } from './helpers/until.js'

// Slow clients, heartbeats and the fleet stream, over real sockets.

const T = topics()
const secret = Buffer.from('websocket test secret')
const drones: DroneView[] = [
  { id: 'd-1', lat: 47.61, lon: -122.33, alt: 0, speed: 0, heading: 0, battery: 0.9, state: 'idle', seq: 1, lastSeen: 1, deliveryId: null },
  {
    id: 'd-2',
    lat: 47.7,
    lon: -122.3,
    alt: 60,
    speed: 15,
    heading: 90,
    battery: 0.6,
    state: 'cruise',
    seq: 1,
    lastSeen: 1,
    deliveryId: 'del-x',
  },
]
const stats = {} as EngineStats
const engine: EngineView = { drones: () => drones, drone: (id) => drones.find((d) => d.id === id), stats: () => stats }

const broker = await startEmbeddedBroker({ port: 0 })
const clients: MqttClient[] = []
const gateways: Gateway[] = []
const eng = await connectAsync(broker.url)
clients.push(eng)
t.teardown(async () => {
  for (const g of gateways) await g.close()
  for (const c of clients) await c.endAsync()
  await broker.close()
})
async function gateway(extra: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const mqtt = await connectAsync(broker.url)
  clients.push(mqtt)
  const g = await startGateway({
    mqtt,
    topics: T,
    engine,
    httpPort: 0,
    wsPort: 0,
    apiKey: null,
    trackingSecret: secret,
    logger: false,
    ...extra,
  })
  gateways.push(g)
  return g
}
async function createDelivery(g: Gateway): Promise<{ id: string; trackingToken: string; trackingUrl: string }> {
  const res = await fetch(`${g.httpUrl}/v1/deliveries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer fleet-key' },
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1 }),
  })
  return (await res.json()) as { id: string; trackingToken: string; trackingUrl: string }
}
const metric = async (g: Gateway, name: string): Promise<number> => (await g.metrics.getSingleMetric(name)?.get())?.values[0]?.value ?? -1

function tracking(id: string, i: number, pad: string): TrackingMessage & { pad: string } {
  return {
    type: 'tracking',
    deliveryId: id,
    droneId: 'd-1',
    ts: 1_000_000 + i,
    position: { lat: 47.61 + i * 1e-6, lon: -122.33, alt: 60 },
    speed: 15,
    heading: 90,
    battery: 0.8,
    droneState: 'cruise',
    status: 'HeadedToPickup',
    eta: { at: 2e6, p10: 1.9e6, p90: 2.1e6 },
    pad,
  }
}

/** A WebSocket client that completes the handshake and then stops reading: the slowest client there is. */
async function stalledClient(port: number, path: string): Promise<Socket> {
  const sock = tcpConnect(port, '127.0.0.1')
  sock.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await new Promise<void>((resolve, reject) => {
    sock.once('data', (d) => (d.toString().startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(d.toString()))))
    sock.once('error', reject)
  })
  sock.pause()
  return sock
}

t.test('a slow client gets the latest state, bounded, and does not delay a fast one', async (t) => {
  // A high coalescing bound, so a client that keeps up is never coalesced and must get every message.
  const g = await gateway({ coalesceAboveBytes: 1024 * 1024 })
  const d = await createDelivery(g)
  const slow = await stalledClient(g.wsPort, `/v1/track/${d.id}?token=${encodeURIComponent(d.trackingToken)}`)
  t.teardown(() => slow.destroy())

  const fast = new WebSocket(d.trackingUrl)
  t.teardown(() => fast.terminate())
  const got: number[] = []
  let lastArrived: () => void = () => {}
  const last = new Promise<void>((resolve) => (lastArrived = resolve))
  // 6000 messages of ~4 KB (24 MB): far more than the kernel buffers of the stalled socket hold.
  const N = 6000
  const pad = 'x'.repeat(4000)
  fast.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; ts: number }
    if (m.type !== 'tracking') return
    got.push(m.ts)
    if (m.ts === 1_000_000 + N - 1) lastArrived()
  })
  const snapshot = new Promise((resolve) => fast.once('message', resolve))
  await new Promise((resolve) => fast.once('open', resolve))
  // Both subscribed: the gateway has opened both sockets (it subscribes a socket to its delivery as it sends the snapshot).
  await snapshot
  await until(async () => ((await metric(g, 'dronefleet_ws_clients')) === 2 ? true : undefined), 10_000, 'both tracking sockets open')

  for (let i = 0; i < N; i++) {
    eng.publish(T.tracking(d.id), JSON.stringify(tracking(d.id, i, pad)), { qos: 0 })
    // Paced by the fast client, not by a clock: it stays within ~400 KB of the newest message, under the 1 MB coalescing bound
    // however busy the machine, while the stalled one falls behind without bound.
    if (i % 50 === 49) await until(() => (got.length >= i - 100 ? true : undefined), 10_000, 'the fast client to keep up')
  }
  await last
  t.equal(slow.isPaused(), true, 'the fast client got the last message while the slow one was still not reading')
  t.equal(got.length, N, 'the fast client got every message')
  t.ok(
    got.every((ts, i) => ts === 1_000_000 + i),
    'in order',
  )
  const skipped = await metric(g, 'dronefleet_ws_tracking_skipped_total')
  t.ok(skipped > 0, `the slow client's backlog was coalesced (${skipped} superseded messages never queued)`)

  // Now the slow client reads: it gets what the kernel held, then the newest message, not the whole backlog.
  let bytes = 0
  let tail = ''
  const finalTs = `"ts":${1_000_000 + N - 1},`
  await new Promise<void>((resolve) => {
    slow.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      tail = (tail + chunk.toString('latin1')).slice(-10_000)
      if (tail.includes(finalTs)) resolve()
    })
    slow.resume()
  })
  const total = N * JSON.stringify(tracking(d.id, 0, pad)).length
  t.ok(
    bytes < total / 2,
    `the slow client received ${(bytes / 1e6).toFixed(1)} MB of ${(total / 1e6).toFixed(1)} MB, ending with the newest message`,
  )
})

t.test('heartbeats: clients are pinged, and one that never answers is closed', async (t) => {
  const g = await gateway({ heartbeatMs: 100 })
  const d = await createDelivery(g)
  const alive = new WebSocket(d.trackingUrl)
  const deaf = new WebSocket(d.trackingUrl, { autoPong: false })
  t.teardown(() => {
    alive.terminate()
    deaf.terminate()
  })
  let pings = 0
  alive.on('ping', () => pings++)
  let deafPinged = false
  deaf.on('ping', () => (deafPinged = true))
  const deafClosed = new Promise<number>((resolve) => deaf.on('close', (code) => resolve(code)))
  await deafClosed
  t.ok(deafPinged, 'the silent client was pinged before it was closed')
  t.equal(alive.readyState, WebSocket.OPEN, 'a client that answers stays connected')
  while (pings < 3) await new Promise((r) => setTimeout(r, 20))
  t.equal(alive.readyState, WebSocket.OPEN)
  t.equal(await metric(g, 'dronefleet_ws_clients'), 1)
})

t.test('/v1/fleet streams every drone at a bounded rate, with the API key', async (t) => {
  const g = await gateway({ apiKey: 'fleet-key', fleetIntervalMs: 100 })
  const url = `${g.wsUrl}/v1/fleet`
  const refusal = (u: string, headers: Record<string, string> = {}): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(u, { headers })
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        ws.terminate()
      })
      ws.on('open', () => reject(new Error('accepted')))
      ws.on('error', () => {})
    })
  t.equal(await refusal(url), 401, 'no key')
  t.equal(await refusal(`${url}?apiKey=wrong`), 401, 'wrong key')
  t.equal(await refusal(url, { authorization: 'Bearer wrong' }), 401, 'wrong bearer')

  const frames: Array<{ at: number; msg: FleetMessage }> = []
  const ws = new WebSocket(url, { headers: { authorization: 'Bearer fleet-key' } })
  t.teardown(() => ws.terminate())
  ws.on('message', (data) => frames.push({ at: Date.now(), msg: JSON.parse(data.toString()) as FleetMessage }))
  while (frames.length === 0) await new Promise((r) => setTimeout(r, 10))
  t.match(
    frames[0]?.msg,
    {
      type: 'fleet',
      drones: [
        { id: 'd-1', lat: 47.61, state: 'idle' },
        { id: 'd-2', deliveryId: 'del-x' },
      ],
    },
    'a frame at once on connect',
  )
  t.equal(await metric(g, 'dronefleet_ws_fleet_clients'), 1)

  const byQuery = new WebSocket(`${url}?apiKey=fleet-key`)
  t.teardown(() => byQuery.terminate())
  await new Promise((resolve, reject) => {
    byQuery.once('message', resolve)
    byQuery.once('error', reject)
  })
  t.pass('?apiKey= works for browsers, which cannot set headers')

  const moved = drones[0] as DroneView
  moved.lat = 47.62
  t.teardown(() => {
    moved.lat = 47.61
  })
  while (!frames.some((f) => f.msg.drones[0]?.lat === 47.62)) await new Promise((r) => setTimeout(r, 10))
  t.pass('frames follow the engine')

  // Bounded: one frame per interval, however fast the fleet changes.
  const start = frames.length
  const t0 = Date.now()
  await new Promise((r) => setTimeout(r, 1000))
  const n = frames.length - start
  const elapsed = Date.now() - t0
  t.ok(n <= Math.ceil(elapsed / 100) + 1, `${n} frames in ${elapsed} ms at a 100 ms interval`)
})
