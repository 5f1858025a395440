import { connectAsync } from 'mqtt'
import t from 'tap'
import WebSocket from 'ws'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import type { EngineView } from '../gateway/EngineView.js'
import { startGateway } from '../gateway/startGateway.js'
import { verifyTrackingToken } from '../gateway/trackingToken.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { topics } from '../protocol/topics.js'
import type { TrackingMessage, TrackMessage } from '../protocol/tracking.js'
import type { EngineStats } from '../protocol/views.js'

// An operator issues a tracking link for a delivery that has none (the simulator's, or one whose link expired),
// and a tracking client gets the drone's trail in its snapshot.

const T = topics()
const secret = Buffer.from('tracking link test secret')
const clock = { now: 1_763_700_000_000 }
const engine: EngineView = { drones: () => [], drone: () => undefined, stats: () => ({}) as EngineStats }
const KEY = 'operator-key'
const auth = { authorization: `Bearer ${KEY}` }

const broker = await startEmbeddedBroker({ port: 0 })
const mqtt = await connectAsync(broker.url)
const gw = await startGateway({
  mqtt,
  topics: T,
  engine,
  httpPort: 0,
  wsPort: 0,
  apiKey: KEY,
  trackingSecret: secret,
  trackingTokenTtlS: 3600,
  logger: false,
  now: () => clock.now,
})
const eng = await connectAsync(broker.url)
t.teardown(async () => {
  await gw.close()
  await mqtt.endAsync()
  await eng.endAsync()
  await broker.close()
})
const publish = (topic: string, msg: object): Promise<unknown> => eng.publishAsync(topic, JSON.stringify(msg), { qos: 1 })
const issue = (id: string, headers: Record<string, string> = auth): Promise<Response> =>
  fetch(`${gw.httpUrl}/v1/deliveries/${encodeURIComponent(id)}/tracking-link`, { method: 'POST', headers })

/** Resolves once the gateway's read model knows the delivery: polled through its own API. */
async function known(id: string, status?: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${gw.httpUrl}/v1/deliveries/${id}`, { headers: auth })
    if (res.status === 200 && (status === undefined || ((await res.json()) as { status: string }).status === status)) return
    await new Promise((r) => setTimeout(r, 20))
  }
}

function firstMessage(url: string): Promise<TrackMessage> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('message', (data) => {
      resolve(JSON.parse(data.toString()) as TrackMessage)
      ws.close()
    })
    ws.once('error', reject)
  })
}

// What the simulator does: it submits deliveries, and the engine's DeliveryCreated is all the gateway needs.
const created = (id: string, ts: number): DeliveryEvent => ({
  type: 'DeliveryCreated',
  deliveryId: id,
  ts,
  pickup: { lat: 47.61, lon: -122.33 },
  dropoff: { lat: 47.63, lon: -122.35 },
  weightKg: 1,
  deadline: null,
})

t.test('an operator issues a link for an existing delivery; it opens the page and the socket', async (t) => {
  const id = 'del-from-sim-1'
  await publish(T.deliveryEvents(id), created(id, clock.now))
  await known(id)

  const anonymous = await issue(id, {})
  t.equal(anonymous.status, 401, 'operators only')
  t.match(await anonymous.json(), { code: 'DF_UNAUTHORIZED' })
  const unknown = await issue('del-nobody')
  t.equal(unknown.status, 404)
  t.match(await unknown.json(), { code: 'DF_NOT_FOUND', detail: /del-nobody/ })

  const res = await issue(id)
  t.equal(res.status, 200)
  const link = (await res.json()) as {
    id: string
    status: string
    trackingToken: string
    trackingUrl: string
    trackingPage: string
    expiresAt: number
  }
  t.match(link, { id, status: 'Created', expiresAt: clock.now + 3600_000 })
  t.same(
    verifyTrackingToken(secret, id, link.trackingToken, clock.now),
    { ok: true, expiresAt: clock.now + 3600_000 },
    'a token for this delivery',
  )
  t.equal(link.trackingPage, `${gw.httpUrl}/track/${id}?token=${encodeURIComponent(link.trackingToken)}`)
  t.equal(link.trackingUrl, `${gw.wsUrl}/v1/track/${id}?token=${encodeURIComponent(link.trackingToken)}`)

  const page = await fetch(link.trackingPage)
  t.equal(page.status, 200, 'the page opens')
  t.match(await page.text(), /Delivery tracking/)
  t.match(await firstMessage(link.trackingUrl), { type: 'snapshot', delivery: { id, status: 'Created' }, trail: [] }, 'the socket opens')

  // Its lifetime counts from when it was issued: a link issued later outlives the first.
  clock.now += 1800_000
  const later = (await (await issue(id)).json()) as { expiresAt: number; trackingToken: string }
  t.equal(later.expiresAt, clock.now + 3600_000)
  clock.now += 1800_000
  t.equal((await fetch(link.trackingPage)).status, 401, 'the first link has expired')
  t.equal((await fetch(`${gw.httpUrl}/track/${id}?token=${encodeURIComponent(later.trackingToken)}`)).status, 200, 'the new one opens')
})

t.test('an ended delivery gets a link too: its page tells how it ended', async (t) => {
  const id = 'del-from-sim-2'
  await publish(T.deliveryEvents(id), created(id, clock.now))
  await publish(T.deliveryEvents(id), { type: 'DeliveryFailed', deliveryId: id, ts: clock.now + 1, reason: 'no route' })
  await known(id, 'Failed')
  const link = (await (await issue(id)).json()) as { status: string; trackingUrl: string }
  t.equal(link.status, 'Failed')
  t.match(await firstMessage(link.trackingUrl), { type: 'snapshot', delivery: { status: 'Failed' } })
})

t.test("the snapshot carries the drone's trail, so a reloaded page draws it again", async (t) => {
  const id = 'del-from-sim-3'
  await publish(T.deliveryEvents(id), created(id, clock.now))
  await known(id)
  const fix = (i: number): TrackingMessage => ({
    type: 'tracking',
    deliveryId: id,
    droneId: 'd-1',
    ts: clock.now + i * 1000,
    position: { lat: 47.6 + i * 0.001, lon: -122.33, alt: 60 },
    speed: 15,
    heading: 0,
    battery: 0.9,
    droneState: 'cruise',
    status: 'HeadedToPickup',
    eta: null,
  })
  for (let i = 1; i <= 5; i++) await publish(T.tracking(id), fix(i))
  // The same place again (hovering): the last point is re-stamped, not repeated.
  await publish(T.tracking(id), { ...fix(5), ts: clock.now + 9000 })
  const { trackingUrl } = (await (await issue(id)).json()) as { trackingUrl: string }
  let snapshot: TrackMessage
  do snapshot = await firstMessage(trackingUrl)
  while (snapshot.type === 'snapshot' && snapshot.trail.at(-1)?.ts !== clock.now + 9000)
  t.same(
    snapshot.type === 'snapshot' && snapshot.trail,
    [1, 2, 3, 4, 5].map((i) => ({ lat: 47.6 + i * 0.001, lon: -122.33, ts: clock.now + (i === 5 ? 9000 : i * 1000) })),
    'every position, oldest first, with its event time',
  )
})
