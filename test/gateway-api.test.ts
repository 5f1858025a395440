import { connectAsync, type MqttClient } from 'mqtt'
import t from 'tap'
import type { EngineView } from '../gateway/EngineView.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/startGateway.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { decodeRequest, type DeliveryRequest } from '../protocol/requests.js'
import { topics } from '../protocol/topics.js'
import type { EngineStats } from '../protocol/views.js'
import { until as waitFor } from './helpers/until.js'

// OpenAPI, list pagination, load leveling, readiness on engine lag, and the latency metrics.

const T = topics()
const secret = Buffer.from('api test secret')
const stats: EngineStats & { lagMs: number } = {
  telemetryReceived: 0,
  telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
  telemetryStale: 0,
  assignments: 0,
  deliveriesByStatus: { Created: 0, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 0 },
  watermark: 0,
  lagMs: 0,
}
const engine: EngineView = { drones: () => [], drone: () => undefined, stats: () => stats }

const broker = await startEmbeddedBroker({ port: 0 })
const clients: MqttClient[] = []
const gateways: Gateway[] = []
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
// Plays the engine: sees requests, publishes events.
const eng = await connectAsync(broker.url)
clients.push(eng)
const requests: DeliveryRequest[] = []
eng.on('message', (_topic, payload) => {
  const r = decodeRequest(payload)
  if (r) requests.push(r)
})
await eng.subscribeAsync(T.requests, { qos: 1 })
const publish = (e: DeliveryEvent): Promise<unknown> => eng.publishAsync(T.deliveryEvents(e.deliveryId), JSON.stringify(e), { qos: 1 })
const created = (id: string): DeliveryEvent => ({
  type: 'DeliveryCreated',
  deliveryId: id,
  ts: 1,
  pickup: { lat: 1, lon: 1 },
  dropoff: { lat: 1.01, lon: 1 },
  weightKg: 1,
  deadline: null,
})

const good = { pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1.2 }
const post = (g: Gateway, body: unknown = good): Promise<Response> =>
  fetch(`${g.httpUrl}/v1/deliveries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
/** Waits for `what` however long a busy machine takes (no give-up after a fixed time; tap's timeout bounds a hang). */
const until = <T>(check: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> => waitFor(check, 5_000, what)

t.test('/docs/json is an OpenAPI document built from the validation schemas', async (t) => {
  const g = await gateway()
  const res = await fetch(`${g.httpUrl}/docs/json`)
  t.equal(res.status, 200)
  const doc = (await res.json()) as {
    openapi: string
    paths: Record<
      string,
      Record<
        string,
        {
          requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required: string[] } }> }
          parameters?: Array<{ name: string; in: string }>
        }
      >
    >
    components: { securitySchemes: Record<string, unknown> }
  }
  t.match(doc.openapi, /^3\./)
  for (const [path, method] of [
    ['/v1/deliveries', 'post'],
    ['/v1/deliveries', 'get'],
    ['/v1/deliveries/{id}', 'get'],
    ['/v1/deliveries/{id}', 'delete'],
    ['/v1/deliveries/{id}', 'patch'],
    ['/v1/drones', 'get'],
    ['/healthz', 'get'],
    ['/readyz', 'get'],
    ['/track/{id}', 'get'],
  ] as const) {
    t.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`)
  }
  const body = doc.paths['/v1/deliveries']?.post?.requestBody?.content['application/json']?.schema
  t.same(body?.required, ['pickup', 'dropoff', 'weightKg'], 'the POST body is the schema fastify validates with')
  t.match(body?.properties.pickup, { properties: { lat: { type: 'number', minimum: -90, maximum: 90 } } })
  const listParams = (doc.paths['/v1/deliveries']?.get?.parameters ?? []).map((p) => `${p.in}:${p.name}`).sort()
  t.same(listParams, ['query:cursor', 'query:limit', 'query:status'], 'the list documents its cursor and limit')
  t.ok(doc.components.securitySchemes.apiKey, 'the API key scheme is described')
  t.notOk(doc.paths['/docs/json'], 'the document does not describe itself')
})

t.test('GET /v1/deliveries pages newest first with an opaque cursor', async (t) => {
  const g = await gateway()
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push(((await (await post(g)).json()) as { id: string }).id)
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await fetch(`${g.httpUrl}/v1/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(res.status, 200)
    const page = (await res.json()) as { items: Array<{ id: string; status: string; history?: unknown }>; nextCursor: string | null }
    t.ok(page.items.length <= 2)
    t.notOk(
      page.items.some((d) => 'history' in d),
      'list items leave the history to GET /v1/deliveries/{id}',
    )
    seen.push(...page.items.map((d) => d.id))
    cursor = page.nextCursor
    pages++
  } while (cursor && pages < 10)
  t.equal(pages, 3)
  t.same(seen, [...ids].reverse(), 'every delivery exactly once, newest first')

  // A delivery created between pages does not shift the next page.
  const first = (await (await fetch(`${g.httpUrl}/v1/deliveries?limit=2`)).json()) as { nextCursor: string }
  await post(g)
  const second = (await (await fetch(`${g.httpUrl}/v1/deliveries?limit=2&cursor=${first.nextCursor}`)).json()) as {
    items: Array<{ id: string }>
  }
  t.same(
    second.items.map((d) => d.id),
    [ids[2], ids[1]],
  )

  // ?status= filters.
  await publish(created(ids[0] as string))
  await publish({ type: 'DeliveryCancelled', deliveryId: ids[0] as string, ts: 2, reason: 'test' })
  const cancelled = await until(async () => {
    const page = (await (await fetch(`${g.httpUrl}/v1/deliveries?status=Cancelled`)).json()) as { items: Array<{ id: string }> }
    return page.items.length > 0 ? page.items.map((d) => d.id) : undefined
  }, 'the cancellation')
  t.same(cancelled, [ids[0] as string])
})

t.test('bad list parameters are 400 problems naming the field and value', async (t) => {
  const g = await gateway()
  const cases: Array<[string, string, string]> = [
    ['limit=0', '/limit', '0'],
    ['limit=501', '/limit', '501'],
    ['limit=ten', '/limit', 'ten'],
    ['cursor=bogus', '/cursor', 'bogus'],
    ['status=Lost', '/status', 'Lost'],
  ]
  for (const [query, field, value] of cases) {
    const res = await fetch(`${g.httpUrl}/v1/deliveries?${query}`)
    t.equal(res.status, 400, query)
    const p = (await res.json()) as { code: string; errors: Array<{ field: string; value: unknown }> }
    t.equal(p.code, 'DF_REQUEST_INVALID')
    t.match(p.errors, [{ field, value }], `${query} names ${field}`)
  }
})

t.test('load leveling: 503 with Retry-After while the engine has not confirmed enough requests', async (t) => {
  const g = await gateway({ maxPendingRequests: 2 })
  const a = (await (await post(g)).json()) as { id: string }
  t.equal((await post(g)).status, 202)
  const refused = await post(g)
  t.equal(refused.status, 503, 'the third waits for the engine')
  t.equal(refused.headers.get('retry-after'), '1')
  t.match(await refused.json(), { code: 'DF_OVERLOADED', detail: /engine is behind \(2 requests waiting, limit 2\)/ })
  t.equal(requests.filter((r) => r.type === 'CreateDelivery').length >= 2, true)
  const metrics = await (await fetch(`${g.httpUrl}/metrics`)).text()
  t.match(metrics, /^dronefleet_ingest_pending 2$/m)
  t.match(metrics, /^dronefleet_deliveries_shed_total 1$/m)

  // The engine confirms one: there is room again.
  await publish(created(a.id))
  await until(
    async () => (/^dronefleet_ingest_pending 1$/m.test(await (await fetch(`${g.httpUrl}/metrics`)).text()) ? true : undefined),
    'the release',
  )
  t.equal((await post(g)).status, 202, 'accepted once the engine confirmed a request')
  t.equal((await post(g)).status, 503, 'and the window is full again')
})

t.test('readyz fails while the engine lags more than the limit', async (t) => {
  const g = await gateway({ maxEngineLagMs: 1000 })
  t.equal((await fetch(`${g.httpUrl}/readyz`)).status, 200)
  stats.lagMs = 2500
  t.teardown(() => {
    stats.lagMs = 0
  })
  const res = await fetch(`${g.httpUrl}/readyz`)
  t.equal(res.status, 503)
  t.match(await res.json(), { code: 'DF_OVERLOADED', detail: 'the engine lags 2500 ms behind its input (limit 1000 ms)' })
  t.match(await (await fetch(`${g.httpUrl}/metrics`)).text(), /^dronefleet_engine_lag_seconds 2\.5$/m)
  t.equal((await fetch(`${g.httpUrl}/healthz`)).status, 200, 'alive all the same')
})

t.test('metrics: assignment latency, pipeline latency, event-loop lag, WebSocket clients', async (t) => {
  const clock = { now: 1_763_700_000_000 }
  const g = await gateway({ now: () => clock.now })
  const { id } = (await (await post(g)).json()) as { id: string }
  clock.now += 1500
  await publish({
    type: 'DroneAssigned',
    deliveryId: id,
    ts: clock.now,
    droneId: 'd-1',
    eta: { at: clock.now + 60_000, p10: clock.now + 50_000, p90: clock.now + 70_000 },
  })
  const metrics = await until(async () => {
    const m = await (await fetch(`${g.httpUrl}/metrics`)).text()
    return /^dronefleet_assignment_latency_seconds_count 1$/m.test(m) ? m : undefined
  }, 'the assignment to be measured')
  t.match(metrics, /^dronefleet_assignment_latency_seconds_sum 1\.5$/m, 'accepted → DroneAssigned, on the gateway clock')
  t.match(metrics, /^dronefleet_assignment_latency_seconds_bucket\{le="1"\} 0$/m)
  t.match(metrics, /^dronefleet_assignment_latency_seconds_bucket\{le="2.5"\} 1$/m)
  t.match(metrics, /^# TYPE dronefleet_pipeline_latency_seconds histogram$/m)
  t.match(metrics, /^nodejs_eventloop_lag_seconds /m, 'event-loop lag, from the default metrics')
  t.match(metrics, /^nodejs_eventloop_lag_p99_seconds /m)
  t.match(metrics, /^dronefleet_ws_clients 0$/m)
  t.match(metrics, /^dronefleet_ws_fleet_clients 0$/m)
})

t.test('PATCH /v1/deliveries/{id} publishes RescheduleDelivery once the broker has it', async (t) => {
  const g = await gateway()
  const patch = (id: string, body: unknown): Promise<Response> =>
    fetch(`${g.httpUrl}/v1/deliveries/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const { id } = (await (await post(g)).json()) as { id: string }
  const dropoff = { lat: 47.63, lon: -122.34 }
  const res = await patch(id, { dropoff, deadline: '2030-01-01T12:00:00Z' })
  t.equal(res.status, 202)
  t.same(await res.json(), { id, status: 'Created', rescheduleRequested: true })
  const published = await until(() => requests.find((r) => r.id === id && r.type === 'RescheduleDelivery'), 'the request')
  t.same(published, { type: 'RescheduleDelivery', id, dropoff, deadline: Date.parse('2030-01-01T12:00:00Z') })

  t.equal((await patch(id, { deadline: null })).status, 202, 'null removes the deadline')
  const cleared = await until(() => requests.filter((r) => r.id === id && r.type === 'RescheduleDelivery')[1], 'the second request')
  t.same(cleared, { type: 'RescheduleDelivery', id, deadline: null }, 'absent fields stay absent: the engine keeps them')

  const empty = await patch(id, {})
  t.equal(empty.status, 400, 'nothing to change')
  const unknown = await patch(id, { pickup: dropoff })
  t.equal(unknown.status, 400)
  t.match(await unknown.json(), { errors: [{ field: '/pickup', message: 'is not an allowed property' }] })
  const bad = await patch(id, { dropoff: { lat: 47, lon: 200 } })
  t.match(await bad.json(), { status: 400, errors: [{ field: '/dropoff/lon', value: 200 }] })
  t.equal((await patch('del-nope', { deadline: null })).status, 404)

  // The engine's event updates the read model.
  await publish(created(id))
  await publish({ type: 'DeliveryRescheduled', deliveryId: id, ts: 3, dropoff, deadline: null })
  const snap = await until(async () => {
    const s = (await (await fetch(`${g.httpUrl}/v1/deliveries/${id}`)).json()) as { dropoff: { lat: number }; history: unknown[] }
    return s.history.length === 2 ? s : undefined
  }, 'the rescheduled event')
  t.same(snap.dropoff, dropoff)
  await publish({ type: 'DeliveryCancelled', deliveryId: id, ts: 4, reason: 'test' })
  await until(
    async () =>
      ((await (await fetch(`${g.httpUrl}/v1/deliveries/${id}`)).json()) as { status: string }).status === 'Cancelled' || undefined,
    'the cancel',
  )
  const ended = await patch(id, { deadline: null })
  t.equal(ended.status, 409)
  t.match(await ended.json(), { detail: /already Cancelled and cannot be rescheduled/ })
})
