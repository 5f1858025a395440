import { once } from 'node:events'
import { createServer } from 'node:net'
import { connectAsync, type MqttClient } from 'mqtt'
import t from 'tap'
import type { EngineView } from '../gateway/EngineView.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startGateway, type Gateway } from '../gateway/startGateway.js'
import { decodeRequest, type DeliveryRequest } from '../protocol/requests.js'
import { topics } from '../protocol/topics.js'
import type { DroneView, EngineStats } from '../protocol/views.js'

const T = topics()
const secret = Buffer.from('rest test secret')
const drones: DroneView[] = [
  {
    id: 'd-1',
    lat: 47.61,
    lon: -122.33,
    alt: 0,
    speed: 0,
    heading: 0,
    battery: 0.9,
    state: 'idle',
    seq: 4,
    lastSeen: 1_763_700_000_000,
    deliveryId: null,
  },
  {
    id: 'd-2',
    lat: 47.7,
    lon: -122.3,
    alt: 60,
    speed: 15,
    heading: 90,
    battery: 0.6,
    state: 'cruise',
    seq: 9,
    lastSeen: 1_763_700_000_000,
    deliveryId: 'del-x',
  },
]
const stats: EngineStats = {
  telemetryReceived: 42,
  telemetryRejected: { malformed: 1, missing: 0, type: 0, range: 3, topic: 0 },
  telemetryStale: 2,
  assignments: 7,
  deliveriesByStatus: { Created: 1, HeadedToPickup: 2, HeadedToDropoff: 0, Completed: 5, Cancelled: 0, Failed: 1 },
  watermark: 1_763_700_000_000,
}
const engine: EngineView = { drones: () => drones, drone: (id) => drones.find((d) => d.id === id), stats: () => stats }

const broker = await startEmbeddedBroker({ port: 0 })
const mqtt = await connectAsync(broker.url)
const gw = await startGateway({ mqtt, topics: T, engine, httpPort: 0, wsPort: 0, apiKey: null, trackingSecret: secret, logger: false })

// A spy on the requests topic, as the engine would be: every request the gateway publishes lands here.
const spy = await connectAsync(broker.url)
const requests: DeliveryRequest[] = []
const waiters: Array<() => void> = []
spy.on('message', (_topic, payload) => {
  const r = decodeRequest(payload)
  if (r) requests.push(r)
  for (const w of waiters.splice(0)) w()
})
await spy.subscribeAsync(T.requests, { qos: 1 })
async function requestFor(id: string, type: DeliveryRequest['type']): Promise<DeliveryRequest> {
  for (;;) {
    const r = requests.find((x) => x.id === id && x.type === type)
    if (r) return r
    await new Promise<void>((resolve) => waiters.push(resolve))
  }
}

const clients: MqttClient[] = [mqtt, spy]
const gateways: Gateway[] = [gw]
t.teardown(async () => {
  for (const g of gateways) await g.close()
  for (const c of clients) await c.endAsync()
  await broker.close()
})

const good = { pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1.2 }
const post = (body: unknown, headers: Record<string, string> = {}, base = gw.httpUrl): Promise<Response> =>
  fetch(`${base}/v1/deliveries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

t.test('POST /v1/deliveries accepts, publishes CreateDelivery and an immediate GET finds it', async (t) => {
  const deadline = '2030-01-01T12:00:00Z'
  const res = await post({ ...good, deadline })
  t.equal(res.status, 202)
  const body = (await res.json()) as { id: string; status: string; trackingToken: string; trackingUrl: string }
  t.match(body.id, /^del-[0-9a-f]{20}$/)
  t.equal(body.status, 'Created')
  t.equal(body.trackingUrl, `${gw.wsUrl}/v1/track/${body.id}?token=${encodeURIComponent(body.trackingToken)}`)
  t.equal(res.headers.get('location'), `/v1/deliveries/${body.id}`)

  const published = await requestFor(body.id, 'CreateDelivery')
  t.same(published, { type: 'CreateDelivery', id: body.id, ...good, deadline: Date.parse(deadline) })

  const got = await fetch(`${gw.httpUrl}/v1/deliveries/${body.id}`)
  t.equal(got.status, 200)
  t.match(await got.json(), {
    id: body.id,
    status: 'Created',
    pickup: good.pickup,
    dropoff: good.dropoff,
    weightKg: 1.2,
    droneId: null,
    history: [],
  })
})

t.test('a deadline in ms since the epoch is passed through', async (t) => {
  const res = await post({ ...good, deadline: 1_900_000_000_000 })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  t.match(await requestFor(id, 'CreateDelivery'), { deadline: 1_900_000_000_000 })
})

const invalid: Array<[string, unknown, string, unknown]> = [
  ['latitude out of range', { ...good, pickup: { lat: 91, lon: 0 } }, '/pickup/lat', 91],
  ['longitude out of range', { ...good, dropoff: { lat: 0, lon: -180.5 } }, '/dropoff/lon', -180.5],
  ['zero weight', { ...good, weightKg: 0 }, '/weightKg', 0],
  ['too heavy', { ...good, weightKg: 100.5 }, '/weightKg', 100.5],
  ['weight as a string', { ...good, weightKg: '5' }, '/weightKg', '5'],
  ['a deadline that is no date', { ...good, deadline: 'tomorrow' }, '/deadline', 'tomorrow'],
  ['an unknown property', { ...good, colour: 'red' }, '/colour', 'red'],
  ['an unknown nested property', { ...good, pickup: { lat: 1, lon: 2, alt: 3 } }, '/pickup/alt', 3],
]
for (const [name, body, field, value] of invalid) {
  t.test(`400 for ${name}, naming ${field} and its value`, async (t) => {
    const res = await post(body)
    t.equal(res.status, 400)
    t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    const p = (await res.json()) as { code: string; status: number; detail: string; errors: Array<{ field: string; value?: unknown }> }
    t.match(p, { status: 400, code: 'DF_REQUEST_INVALID', title: 'Bad Request', type: String })
    t.same(p.errors.find((e) => e.field === field)?.value, value, `errors name ${field}`)
    t.match(p.detail, field)
  })
}

t.test('a missing field is named', async (t) => {
  const res = await post({ pickup: good.pickup, weightKg: 1 })
  t.equal(res.status, 400)
  const p = (await res.json()) as { errors: Array<{ field: string; value?: unknown; message: string }> }
  t.same(p.errors, [{ field: '/dropoff', message: 'is required' }])
})

t.test('malformed JSON is a 400 problem and the service keeps answering', async (t) => {
  for (const raw of ['{"pickup":', 'not json', '']) {
    const res = await post(raw)
    t.equal(res.status, 400, JSON.stringify(raw))
    t.match(await res.json(), { status: 400, code: 'DF_REQUEST_INVALID' })
  }
  const notJson = await fetch(`${gw.httpUrl}/v1/deliveries`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml' },
    body: '<a/>',
  })
  t.equal(notJson.status, 415)
  t.match(await notJson.json(), { status: 415, code: 'DF_REQUEST_INVALID' })
  t.equal((await fetch(`${gw.httpUrl}/healthz`)).status, 200)
  t.equal((await post(good)).status, 202)
})

t.test('Idempotency-Key: a retry gets the same answer and publishes nothing new', async (t) => {
  const first = await post(good, { 'idempotency-key': 'order-77' })
  const second = await post(good, { 'idempotency-key': 'order-77' })
  t.equal(first.status, 202)
  t.equal(second.status, 202)
  const a = (await first.json()) as { id: string }
  t.same(await second.json(), a)
  t.equal(second.headers.get('idempotent-replayed'), 'true')

  const other = await post({ ...good, weightKg: 2 }, { 'idempotency-key': 'order-77' })
  t.equal(other.status, 422, 'the same key with another body is refused')

  // Requests from one publisher arrive in order: once a later one is here, a duplicate would be too.
  const marker = (await (await post(good)).json()) as { id: string }
  await requestFor(marker.id, 'CreateDelivery')
  t.equal(requests.filter((r) => r.id === a.id).length, 1)
})

t.test('404 problems for unknown deliveries and routes', async (t) => {
  const res = await fetch(`${gw.httpUrl}/v1/deliveries/del-nope`)
  t.equal(res.status, 404)
  t.match(await res.json(), { status: 404, code: 'DF_NOT_FOUND', detail: /del-nope/ })
  const route = await fetch(`${gw.httpUrl}/v2/whatever`)
  t.equal(route.status, 404)
  t.match(await route.json(), { code: 'DF_NOT_FOUND' })
  t.equal((await fetch(`${gw.httpUrl}/v1/deliveries/del-nope`, { method: 'DELETE' })).status, 404)
})

t.test('DELETE publishes CancelDelivery and answers 202', async (t) => {
  const { id } = (await (await post(good)).json()) as { id: string }
  const res = await fetch(`${gw.httpUrl}/v1/deliveries/${id}?reason=customer%20changed%20mind`, { method: 'DELETE' })
  t.equal(res.status, 202)
  t.same(await res.json(), { id, status: 'Created', cancelRequested: true })
  t.same(await requestFor(id, 'CancelDelivery'), { type: 'CancelDelivery', id, reason: 'customer changed mind' })
})

t.test('drones come from the engine view', async (t) => {
  const list = await fetch(`${gw.httpUrl}/v1/drones`)
  t.equal(list.status, 200)
  t.same(await list.json(), { items: drones, nextCursor: null })
  t.same(await (await fetch(`${gw.httpUrl}/v1/drones/d-2`)).json(), drones[1])
  const missing = await fetch(`${gw.httpUrl}/v1/drones/d-9`)
  t.equal(missing.status, 404)
  t.match(await missing.json(), { code: 'DF_NOT_FOUND' })

  const near = (await (await fetch(`${gw.httpUrl}/v1/drones?near=47.61,-122.33&radius=500`)).json()) as {
    items: Array<{ id: string; distanceM: number }>
  }
  t.same(
    near.items.map((d) => [d.id, d.distanceM]),
    [['d-1', 0]],
  )
  const bad = await fetch(`${gw.httpUrl}/v1/drones?near=95,0`)
  t.equal(bad.status, 400)
  t.match(await bad.json(), { errors: [{ field: '/near', value: '95,0' }] })
})

t.test('healthz, readyz and metrics', async (t) => {
  t.same(await (await fetch(`${gw.httpUrl}/healthz`)).json(), { status: 'ok' })
  const ready = await fetch(`${gw.httpUrl}/readyz`)
  t.equal(ready.status, 200)
  const res = await fetch(`${gw.httpUrl}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain/)
  const text = await res.text()
  for (const line of [
    'dronefleet_telemetry_received_total 42',
    'dronefleet_telemetry_rejected_total{reason="range"} 3',
    'dronefleet_telemetry_rejected_total{reason="malformed"} 1',
    'dronefleet_telemetry_stale_total 2',
    'dronefleet_assignments_total 7',
    'dronefleet_deliveries{status="Completed"} 5',
    'dronefleet_ws_clients 0',
  ]) {
    t.ok(text.split('\n').includes(line), line)
  }
  t.match(text, /^dronefleet_deliveries_accepted_total [1-9]\d*$/m)
  t.match(text, /^process_cpu_user_seconds_total /m, 'default metrics keep their stock names')
  t.notMatch(text, /^dronefleet_process_/m, 'and no prefixed copy')
  t.match(text, /^dronefleet_http_requests_total\{route="\/v1\/deliveries",status="202"\} [1-9]/m)
})

t.test('with an API key, operator routes need it and health routes do not', async (t) => {
  const client = await connectAsync(broker.url)
  clients.push(client)
  const g = await startGateway({
    mqtt: client,
    topics: T,
    engine,
    httpPort: 0,
    wsPort: 0,
    apiKey: 'sesame',
    trackingSecret: secret,
    logger: false,
  })
  gateways.push(g)
  const none = await post(good, {}, g.httpUrl)
  t.equal(none.status, 401)
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="dronefleet"')
  t.match(await none.json(), { status: 401, code: 'DF_UNAUTHORIZED' })
  t.equal((await post({ junk: true }, {}, g.httpUrl)).status, 401, 'auth is checked before the body')
  t.equal((await post(good, { authorization: 'Bearer wrong' }, g.httpUrl)).status, 401)
  t.equal((await post(good, { authorization: 'Bearer sesame' }, g.httpUrl)).status, 202)
  t.equal((await fetch(`${g.httpUrl}/v1/drones`)).status, 401)
  t.equal((await fetch(`${g.httpUrl}/v1/drones`, { headers: { authorization: 'Bearer sesame' } })).status, 200)
  t.equal((await fetch(`${g.httpUrl}/v1/deliveries/del-x`)).status, 401)
  for (const open of ['/healthz', '/readyz', '/metrics']) t.equal((await fetch(`${g.httpUrl}${open}`)).status, 200, open)
})

t.test('without a broker connection: 503 with Retry-After, readyz says why', async (t) => {
  const client = await connectAsync(broker.url, { reconnectPeriod: 0 })
  const g = await startGateway({
    mqtt: client,
    topics: T,
    engine,
    httpPort: 0,
    wsPort: 0,
    apiKey: null,
    trackingSecret: secret,
    logger: false,
  })
  gateways.push(g)
  await client.endAsync()
  const res = await post(good, {}, g.httpUrl)
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '1')
  t.match(await res.json(), { status: 503, code: 'DF_BROKER_UNAVAILABLE' })
  const ready = await fetch(`${g.httpUrl}/readyz`)
  t.equal(ready.status, 503)
  t.match(await ready.json(), { code: 'DF_BROKER_UNAVAILABLE', detail: /broker/ })
  t.equal((await fetch(`${g.httpUrl}/healthz`)).status, 200, 'still alive')
})

t.test('a port in use is an error naming the flag', async (t) => {
  const blocker = createServer()
  blocker.listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  const port = (blocker.address() as { port: number }).port
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  // Its own client: a gateway that fails to start unsubscribes what it subscribed, on the client it was given.
  const client = await connectAsync(broker.url)
  clients.push(client)
  const base = { mqtt: client, topics: T, engine, apiKey: null, trackingSecret: secret, logger: false as const }
  await t.rejects(startGateway({ ...base, httpPort: port, wsPort: 0 }), { code: 'DF_PORT_IN_USE', field: '--http-port' })
  await t.rejects(startGateway({ ...base, httpPort: 0, wsPort: port }), { code: 'DF_PORT_IN_USE', field: '--ws-port' })
  t.equal((await fetch(`${gw.httpUrl}/healthz`)).status, 200, 'the failed starts left the running gateway alone')
})
