import { EventEmitter } from 'node:events'
import { Counter } from 'prom-client'
import t from 'tap'
import { createDelivery, type CreateDeliveryDeps } from '../gateway/createDelivery.js'
import { DeliveryBook } from '../gateway/DeliveryBook.js'
import { IngestLimiter } from '../gateway/IngestLimiter.js'
import { verifyTrackingToken } from '../gateway/trackingToken.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import type { Zone } from '../protocol/geo.js'
import { decodeRequest } from '../protocol/requests.js'
import { topics } from '../protocol/topics.js'
import { MemoryStore } from '../store/MemoryStore.js'
import type { EngineStats } from '../protocol/views.js'

const T = topics('create-test')
const NOW = 1_763_700_000_000
const pickup = { lat: 47.6, lon: -122.3 }
const dropoff = { lat: 47.61, lon: -122.3 }
const secret = Buffer.alloc(32, 7)
const noFly: Zone = {
  id: 'z-1',
  name: 'stadium',
  noFly: true,
  polygon: [
    { lat: 47.7, lon: -122.31 },
    { lat: 47.7, lon: -122.29 },
    { lat: 47.71, lon: -122.3 },
  ],
}

/** A link without a socket: records what is published; `fail` makes the broker refuse. */
class FakeLink extends EventEmitter implements BrokerLink {
  connected = true
  reconnecting = false
  fail = false
  published: Array<{ topic: string; payload: string; qos: 0 | 1 }> = []
  publish(): unknown {
    return undefined
  }
  async publishAsync(topic: string, payload: string | Buffer, opts: { qos: 0 | 1 }): Promise<unknown> {
    if (this.fail) throw new Error('not authorized')
    this.published.push({ topic, payload: payload.toString(), qos: opts.qos })
    return undefined
  }
  async subscribeAsync(): Promise<unknown> {
    return undefined
  }
  async unsubscribeAsync(): Promise<unknown> {
    return undefined
  }
}

function deps(maxPending = 10) {
  const mqtt = new FakeLink()
  const counter = (name: string): Counter => new Counter({ name, help: name, registers: [] })
  const d: CreateDeliveryDeps = {
    mqtt,
    topics: T,
    publishTimeoutMs: 1000,
    store: new MemoryStore({ now: () => NOW }),
    engine: {
      drones: () => [],
      drone: () => undefined,
      stats: () => ({}) as EngineStats,
      noFlyZoneAt: (lat) => (lat >= 47.7 && lat <= 47.71 ? noFly : undefined),
    },
    limiter: new IngestLimiter({ maxPending, now: () => NOW }),
    book: new DeliveryBook({ now: () => NOW }),
    metrics: { deliveriesAccepted: counter('accepted'), deliveriesShed: counter('shed') },
    trackingSecret: secret,
    trackingTokenTtlS: 3600,
    now: () => NOW,
    wsUrl: () => 'ws://gw:9',
    httpUrl: () => 'http://gw:8',
  }
  const count = async (c: Counter): Promise<number> => (await c.get()).values[0]?.value ?? 0
  return { d, mqtt, count }
}

t.test(
  'an accepted delivery is published to the engine, recorded in the book, held in the window and answered 202 with tracking links',
  async (t) => {
    const { d, mqtt, count } = deps()
    const r = await createDelivery(d, { pickup, dropoff, weightKg: 1.5, deadline: '2025-11-21T05:00:00Z' })
    const body = r.body as { id: string; status: string; trackingToken: string; trackingUrl: string; trackingPage: string }
    t.equal(r.status, 202)
    t.match(body.id, /^del-[0-9a-f]{20}$/)
    t.equal(body.status, 'Created')
    t.equal(body.trackingUrl, `ws://gw:9/v1/track/${body.id}?token=${encodeURIComponent(body.trackingToken)}`)
    t.equal(body.trackingPage, `http://gw:8/track/${body.id}?token=${encodeURIComponent(body.trackingToken)}`)
    t.match(verifyTrackingToken(secret, body.id, body.trackingToken, NOW + 3599_000), { ok: true })
    t.equal(mqtt.published.length, 1)
    t.match(mqtt.published[0], { topic: T.requests, qos: 1 })
    t.same(decodeRequest(mqtt.published[0]?.payload ?? ''), {
      type: 'CreateDelivery',
      id: body.id,
      pickup,
      dropoff,
      weightKg: 1.5,
      deadline: Date.parse('2025-11-21T05:00:00Z'),
    })
    t.equal(d.book.get(body.id)?.status, 'Created')
    t.equal(d.limiter.size, 1, "waits for the engine's DeliveryCreated")
    t.equal(await count(d.metrics.deliveriesAccepted), 1)
  },
)

t.test('a pickup or drop-off in a no-fly zone is refused with 422 before anything is published', async (t) => {
  const { d, mqtt } = deps()
  await t.rejects(createDelivery(d, { pickup, dropoff: { lat: 47.705, lon: -122.3 }, weightKg: 1 }), {
    status: 422,
    code: 'DF_REQUEST_INVALID',
    errors: [{ field: '/dropoff' }],
  })
  t.same(mqtt.published, [])
  t.equal(d.limiter.size, 0)
  t.equal(d.book.size, 0)
})

t.test('a full window is shed with 503 and Retry-After, and counted', async (t) => {
  const { d, mqtt, count } = deps(1)
  await createDelivery(d, { pickup, dropoff, weightKg: 1 })
  await t.rejects(createDelivery(d, { pickup, dropoff, weightKg: 1 }), {
    status: 503,
    code: 'DF_OVERLOADED',
    headers: { 'retry-after': '1' },
  })
  t.equal(mqtt.published.length, 1)
  t.equal(await count(d.metrics.deliveriesShed), 1)
  t.equal(d.book.size, 1)
})

t.test('a broker that is gone: 503, the window slot is given back and nothing is recorded', async (t) => {
  const { d, mqtt, count } = deps()
  mqtt.connected = false
  await t.rejects(createDelivery(d, { pickup, dropoff, weightKg: 1 }), { status: 503, code: 'DF_BROKER_UNAVAILABLE' })
  t.equal(d.limiter.size, 0)
  t.equal(d.book.size, 0)
  t.equal(await count(d.metrics.deliveriesAccepted), 0)
})

t.test(
  'a broker that refuses the publish after the commit: still 202 (the engine recovers it from the store), the slot is given back',
  async (t) => {
    const { d, mqtt, count } = deps()
    mqtt.fail = true
    const r = await createDelivery(d, { pickup, dropoff, weightKg: 1 })
    t.equal(r.status, 202)
    t.equal((await d.store.get(r.body.id))?.status, 'Created', 'committed')
    t.equal(d.limiter.size, 0)
    t.equal(await count(d.metrics.deliveriesAccepted), 1)
  },
)

t.test(
  'an idempotency key: the replay answers the first delivery, the same body and no second publish; another body is a 422',
  async (t) => {
    const { d, mqtt } = deps()
    const body = { pickup, dropoff, weightKg: 1 }
    const first = await createDelivery(d, body, { key: 'k-1', fingerprint: 'f-1' })
    const again = await createDelivery(d, body, { key: 'k-1', fingerprint: 'f-1' })
    t.equal(again.replayed, true)
    t.same(again.body, first.body)
    t.equal(mqtt.published.length, 1)
    t.equal(d.limiter.size, 1)
    await t.rejects(createDelivery(d, body, { key: 'k-1', fingerprint: 'f-2' }), { status: 422, code: 'DF_REQUEST_INVALID' })
  },
)
