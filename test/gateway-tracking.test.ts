import { connectAsync } from 'mqtt'
import t from 'tap'
import WebSocket from 'ws'
import type { EngineView } from '../gateway/EngineView.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startGateway } from '../gateway/startGateway.js'
import { signTrackingToken } from '../gateway/trackingToken.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { topics } from '../protocol/topics.js'
import type { TrackingMessage, TrackMessage } from '../protocol/tracking.js'

const T = topics()
const secret = Buffer.from('tracking test secret')
const clock = { now: 1_763_700_000_000 }
const engine: EngineView = {
  drones: () => [],
  drone: () => undefined,
  stats: () => ({
    telemetryReceived: 0,
    telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
    telemetryStale: 0,
    assignments: 0,
    deliveriesByStatus: { Created: 0, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 0 },
    watermark: 0,
  }),
}

const broker = await startEmbeddedBroker({ port: 0 })
const mqtt = await connectAsync(broker.url)
const gw = await startGateway({
  mqtt,
  topics: T,
  engine,
  httpPort: 0,
  wsPort: 0,
  apiKey: null,
  trackingSecret: secret,
  logger: false,
  now: () => clock.now,
})
// Publishes what the engine would.
const eng = await connectAsync(broker.url)
t.teardown(async () => {
  await gw.close()
  await mqtt.endAsync()
  await eng.endAsync()
  await broker.close()
})

async function createDelivery(): Promise<{ id: string; trackingToken: string; trackingUrl: string }> {
  const res = await fetch(`${gw.httpUrl}/v1/deliveries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1 }),
  })
  return (await res.json()) as { id: string; trackingToken: string; trackingUrl: string }
}

/** Resolves with the HTTP status of a refused upgrade; fails the test if the socket opens. */
function refusal(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => {
      ws.terminate()
      reject(new Error(`upgrade to ${url} was accepted`))
    })
    ws.on('error', () => {}) // terminate() after a refusal reports an error; the status is what matters
  })
}

/** A client that queues what it receives, so the test can wait for "the next message" without sleeping. */
function track(url: string): { ws: WebSocket; next(): Promise<TrackMessage>; closed: Promise<{ code: number; reason: string }> } {
  const ws = new WebSocket(url)
  const queue: TrackMessage[] = []
  let wake: (() => void) | undefined
  ws.on('message', (data) => {
    queue.push(JSON.parse(data.toString()) as TrackMessage)
    wake?.()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  return {
    ws,
    closed,
    async next() {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      return queue.shift() as TrackMessage
    },
  }
}

const publish = (topic: string, msg: object): Promise<unknown> => eng.publishAsync(topic, JSON.stringify(msg), { qos: 1 })

async function wsClients(): Promise<number> {
  const m = await gw.metrics.getSingleMetric('dronefleet_ws_clients')?.get()
  return m?.values[0]?.value ?? -1
}

t.test('tokens are checked before the upgrade', async (t) => {
  const a = await createDelivery()
  const b = await createDelivery()
  const base = `${gw.wsUrl}/v1/track/${a.id}`
  t.equal(await refusal(base), 401, 'missing token')
  t.equal(await refusal(`${base}?token=garbage`), 401, 'malformed token')
  t.equal(await refusal(`${base}?token=${b.trackingToken}`), 403, "another delivery's token")
  const forged = a.trackingToken.slice(0, -3) + (a.trackingToken.endsWith('AAA') ? 'BBB' : 'AAA')
  t.equal(await refusal(`${base}?token=${forged}`), 403, 'forged token')
  const expired = signTrackingToken(secret, a.id, clock.now - 1)
  t.equal(await refusal(`${base}?token=${expired}`), 401, 'expired token')
  const unknown = signTrackingToken(secret, 'del-unknown', clock.now + 60_000)
  t.equal(await refusal(`${gw.wsUrl}/v1/track/del-unknown?token=${unknown}`), 404, 'a valid token for an unknown delivery')
  t.equal(await refusal(`${gw.wsUrl}/elsewhere`), 404, 'other paths')
  t.equal(await wsClients(), 0)
})

t.test('a tracking client gets a snapshot, tracking, status, and a clean close', async (t) => {
  const d = await createDelivery()
  const client = track(d.trackingUrl)
  const snapshot = await client.next()
  t.match(snapshot, { type: 'snapshot', delivery: { id: d.id, status: 'Created', droneId: null, position: null } })
  t.equal(await wsClients(), 1)

  const assigned: DeliveryEvent = {
    type: 'DroneAssigned',
    deliveryId: d.id,
    ts: clock.now,
    droneId: 'd-7',
    eta: { at: clock.now + 600_000, p10: clock.now + 540_000, p90: clock.now + 700_000 },
  }
  await publish(T.deliveryEvents(d.id), assigned)
  t.same(await client.next(), { type: 'status', deliveryId: d.id, status: 'HeadedToPickup', event: assigned })

  const tracking: TrackingMessage = {
    type: 'tracking',
    deliveryId: d.id,
    droneId: 'd-7',
    ts: clock.now + 1000,
    position: { lat: 47.611, lon: -122.331, alt: 60 },
    speed: 15,
    heading: 270,
    battery: 0.8,
    droneState: 'cruise',
    status: 'HeadedToPickup',
    eta: { at: clock.now + 590_000, p10: clock.now + 560_000, p90: clock.now + 650_000 },
  }
  await publish(T.tracking(d.id), tracking)
  t.same(await client.next(), tracking)
  // A message for another delivery must not reach this client; the next one it sees is its own.
  const other = await createDelivery()
  await publish(T.tracking(other.id), { ...tracking, deliveryId: other.id })
  const pickedUp: DeliveryEvent = { type: 'PackagePickedUp', deliveryId: d.id, ts: clock.now + 2000, droneId: 'd-7' }
  await publish(T.deliveryEvents(d.id), pickedUp)
  t.same(await client.next(), { type: 'status', deliveryId: d.id, status: 'HeadedToDropoff', event: pickedUp })

  const completed: DeliveryEvent = { type: 'DeliveryCompleted', deliveryId: d.id, ts: clock.now + 3000, droneId: 'd-7' }
  await publish(T.deliveryEvents(d.id), completed)
  t.same(await client.next(), { type: 'status', deliveryId: d.id, status: 'Completed', event: completed })
  t.same(await client.closed, { code: 1000, reason: 'delivery Completed' })
  t.equal(await wsClients(), 0)

  const got = await (await fetch(`${gw.httpUrl}/v1/deliveries/${d.id}`)).json()
  t.match(got, { status: 'Completed', droneId: 'd-7', position: tracking.position, history: [assigned, pickedUp, completed] })
})

t.test('a client of a finished delivery gets the snapshot and a clean close', async (t) => {
  const d = await createDelivery()
  await publish(T.deliveryEvents(d.id), { type: 'DeliveryCancelled', deliveryId: d.id, ts: clock.now, reason: 'test' })
  // The gateway has applied the event once GET shows it.
  for (;;) {
    const s = (await (await fetch(`${gw.httpUrl}/v1/deliveries/${d.id}`)).json()) as { status: string }
    if (s.status === 'Cancelled') break
    await new Promise((resolve) => setImmediate(resolve))
  }
  const client = track(d.trackingUrl)
  t.match(await client.next(), { type: 'snapshot', delivery: { id: d.id, status: 'Cancelled' } })
  t.match(await client.closed, { code: 1000 })
})

t.test('junk on the broker does not disturb anything', async (t) => {
  const d = await createDelivery()
  const client = track(d.trackingUrl)
  t.match(await client.next(), { type: 'snapshot' })
  await eng.publishAsync(T.deliveryEvents(d.id), 'not json', { qos: 1 })
  await eng.publishAsync(T.tracking(d.id), JSON.stringify({ type: 'tracking', deliveryId: 'del-someone-else' }), { qos: 1 })
  await publish(T.deliveryEvents(d.id), { type: 'DeliveryFailed', deliveryId: d.id, ts: clock.now, reason: 'battery' })
  t.match(await client.next(), { type: 'status', status: 'Failed' }, 'the junk was skipped, the real event arrived')
  t.match(await client.closed, { code: 1000 })
})

t.test('closing the gateway closes open tracking sockets', async (t) => {
  const d = await createDelivery()
  const client = track(d.trackingUrl)
  t.match(await client.next(), { type: 'snapshot' })
  await gw.close()
  t.match(await client.closed, { code: 1001 })
  await t.rejects(fetch(`${gw.httpUrl}/healthz`), 'HTTP is closed too')
})
