import { connect, type Socket } from 'node:net'
import mqtt from 'mqtt'
import WebSocket from 'ws'
import t from 'tap'
import { generatedUser, urlWithCredentials } from '../broker/brokerUsers.js'
import { brokerPolicy } from '../broker/brokerPolicy.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { PacketSizeGuard } from '../broker/PacketSizeGuard.js'
import { showValue } from '../protocol/errors.js'
import { decodeTelemetryJson, TelemetryError } from '../protocol/telemetry.js'
import { topics as makeTopics } from '../protocol/topics.js'
import { simulate } from '../service/simulate.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'
import { DEPOT, harness, T0 } from './engine-harness.js'
import { quietScenario, startTestService, until } from './helpers/service.js'

const T = makeTopics()

/** Resolves when the server closes the socket. */
function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve()
    s.once('close', () => resolve())
  })
}

t.test('the embedded broker closes a connection whose packet is over the size limit, before authentication and after', async (t) => {
  const sim = generatedUser('sim')
  const broker = await startEmbeddedBroker({ port: 0, policy: brokerPolicy([sim], T), maxConnectBytes: 4096, maxPacketBytes: 64 * 1024 })
  t.teardown(() => broker.close())

  // A CONNECT that announces 200 MB: refused on its header, nothing buffered.
  const s = connect({ host: '127.0.0.1', port: broker.port })
  await new Promise((r) => s.once('connect', r))
  s.on('error', () => undefined)
  // Type CONNECT (0x10), remaining length 200,000,000 as a 4-byte varint, then a little of the body.
  const len = 200_000_000
  s.write(Buffer.from([0x10, (len & 0x7f) | 0x80, ((len >> 7) & 0x7f) | 0x80, ((len >> 14) & 0x7f) | 0x80, (len >> 21) & 0x7f, 0, 4]))
  await closed(s)
  t.equal(broker.refusals.oversizedPackets, 1, 'the oversized CONNECT is counted')

  // Authenticated, a 1 MB publish is over the 64 KiB limit: the connection is closed.
  const client = await mqtt.connectAsync(urlWithCredentials(broker.url, sim), { reconnectPeriod: 0 })
  t.teardown(() => client.endAsync(true))
  const gone = new Promise<void>((r) => client.once('close', () => r()))
  client.publish(T.telemetryBatch('s-0'), Buffer.alloc(1024 * 1024), { qos: 0 })
  await gone
  t.equal(broker.refusals.oversizedPackets, 2, 'the oversized publish is counted')

  // The same client with ordinary packets is fine.
  const ok = await mqtt.connectAsync(urlWithCredentials(broker.url, sim), { reconnectPeriod: 0 })
  await ok.publishAsync(T.telemetryBatch('s-0'), Buffer.alloc(48 * 1000 + 16), { qos: 1 })
  await ok.endAsync()
  t.equal(broker.refusals.oversizedPackets, 2, 'a 1,000-drone frame passes')
})

t.test('PacketSizeGuard follows packets across chunks', async (t) => {
  const g = new PacketSizeGuard(() => 200)
  const pub = (n: number): Buffer => Buffer.concat([Buffer.from([0x30, n]), Buffer.alloc(n)])
  const stream = Buffer.concat([pub(100), pub(120), pub(5)])
  for (let i = 0; i < stream.length; i += 7) t.equal(g.feed(stream.subarray(i, i + 7)), 0)
  t.equal(g.feed(Buffer.from([0x30, 0xc8, 0x01])), 203, 'a 200-byte body is a 203-byte packet, over 200')
  t.equal(
    new PacketSizeGuard(() => 1e9).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff])),
    Infinity,
    'a length of more than 4 bytes is malformed',
  )
})

t.test('telemetry: an oversized or absurdly nested payload is counted, never thrown past', async (t) => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  t.throws(() => decodeTelemetryJson(deep), TelemetryError, 'a 200 KB payload is refused')
  t.match(
    (() => {
      try {
        decodeTelemetryJson(deep)
      } catch (e) {
        return e
      }
    })(),
    { reason: 'size' },
  )
  // 50,000 levels fit under the size limit and parse: refused as not an object, with a message that does not overflow.
  const deepButSmall = '['.repeat(50_000) + ']'.repeat(50_000)
  t.match(
    (() => {
      try {
        decodeTelemetryJson(deepButSmall)
      } catch (e) {
        return e
      }
    })(),
    { reason: 'malformed', message: /must be a JSON object, got an array of 1/ },
  )
  let nested: unknown = []
  for (let i = 0; i < 100_000; i++) nested = [nested]
  t.equal(showValue(nested), 'an array of 1', 'showValue survives a 100k-deep array')

  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const client = await mqtt.connectAsync(service.brokerUrl, { reconnectPeriod: 0 })
  t.teardown(() => client.endAsync())
  await client.publishAsync(T.telemetry('x-1'), deep, { qos: 1 })
  await client.publishAsync(T.telemetry('x-1'), deepButSmall, { qos: 1 })
  await until(
    () =>
      service.engine.engine.stats().telemetryRejected.size === 1 && service.engine.engine.stats().telemetryRejected.malformed === 1
        ? true
        : undefined,
    10_000,
    'both samples counted',
  )
  const metrics = await (await fetch(`${service.gateway.httpUrl}/metrics`)).text()
  t.match(metrics, /dronefleet_telemetry_rejected_total\{reason="size"\} 1/)
  t.match(metrics, /dronefleet_telemetry_rejected_total\{reason="malformed"\} 1/)
})

t.test('the engine registers at most maxDrones drones; the rest are counted', async (t) => {
  const h = harness({ maxDrones: 3 })
  const accepted = ['a', 'b', 'c', 'd', 'e'].map((id) => h.send(id, T0, DEPOT))
  t.same(accepted, [true, true, true, false, false])
  t.equal(h.engine.drones().length, 3)
  t.equal(h.engine.stats().telemetryRejected.limit, 2)
  t.ok(h.send('a', T0 + 1000, DEPOT), 'a registered drone still reports')
})

t.test('REST: every refusal is problem+json, and every list is bounded and paged', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const api = service.gateway.httpUrl
  const headers = { authorization: 'Bearer test-key', 'content-type': 'application/json' }
  const isProblem = (res: Response): boolean => (res.headers.get('content-type') ?? '').startsWith('application/problem+json')

  for (const body of ['['.repeat(8000) + ']'.repeat(8000), `{"pickup":${'['.repeat(8000)}${']'.repeat(8000)}}`]) {
    const res = await fetch(`${api}/v1/deliveries`, { method: 'POST', headers, body })
    t.equal(res.status, 400, 'deep nesting is a 400, not a 500')
    t.ok(isProblem(res))
    t.match(await res.json(), { code: 'DF_REQUEST_INVALID', detail: /deeper than 32/ })
  }
  const long = await fetch(`${api}/v1/deliveries/${'x'.repeat(150)}`, { headers })
  t.equal(long.status, 414)
  t.ok(isProblem(long), 'the 414 is problem+json')
  t.match(await long.json(), { status: 414, title: 'URI Too Long', code: 'DF_REQUEST_INVALID' })

  const far = await fetch(`${api}/v1/drones?near=47.61,-122.33&radius=99999999`, { headers })
  t.equal(far.status, 400, 'a radius past 50 km is refused')
  t.ok(isProblem(far))

  // Three drones near the depot; pages of one.
  const client = await mqtt.connectAsync(service.brokerUrl, { reconnectPeriod: 0 })
  t.teardown(() => client.endAsync())
  for (const [i, id] of ['n-1', 'n-2', 'n-3'].entries()) {
    await client.publishAsync(
      T.telemetry(id),
      JSON.stringify({
        droneId: id,
        seq: 1,
        ts: Date.now(),
        lat: 47.61 + i / 1000,
        lon: -122.33,
        alt: 0,
        speed: 0,
        heading: 0,
        battery: 1,
        state: 'idle',
      }),
      { qos: 1 },
    )
  }
  await until(() => (service.engine.engine.drones().length === 3 ? true : undefined), 10_000, 'three drones')
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const res = await fetch(`${api}/v1/drones?near=47.61,-122.33&radius=5000&limit=1${cursor ? `&cursor=${cursor}` : ''}`, { headers })
    const page = (await res.json()) as { items: Array<{ id: string }>; nextCursor: string | null }
    t.ok(page.items.length <= 1)
    seen.push(...page.items.map((d) => d.id))
    cursor = page.nextCursor
  } while (cursor !== null)
  t.same(seen, ['n-1', 'n-2', 'n-3'], 'near is paged, nearest first')
  const zones = (await (await fetch(`${api}/v1/zones?limit=5`, { headers })).json()) as { items: unknown[]; nextCursor: string | null }
  t.same(zones, { items: [], nextCursor: null }, 'zones are paged')
})

t.test('/metrics counts what the broker and the sockets refused, and the broker connection', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const bad = await mqtt
    .connectAsync(service.publicBrokerUrl, { username: 'nobody', password: 'wrong', reconnectPeriod: 0 })
    .catch((e: unknown) => e)
  t.ok(bad instanceof Error, 'bad credentials refused')
  const sim = await mqtt.connectAsync(service.brokerUrlFor('sim'), { reconnectPeriod: 0 })
  t.teardown(() => sim.endAsync(true))
  await sim.subscribeAsync(T.requests).catch(() => undefined)
  const refusedWith = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${service.gateway.wsUrl}/v1/track/nope?token=x`)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
    ws.on('error', () => undefined)
  })
  t.ok(refusedWith >= 400, `the upgrade is refused (${refusedWith})`)
  const text = await until(
    async () => {
      const m = await (await fetch(`${service.gateway.httpUrl}/metrics`)).text()
      return /dronefleet_ws_upgrades_refused_total [1-9]/.test(m) && /dronefleet_broker_subscriptions_refused_total 1/.test(m)
        ? m
        : undefined
    },
    10_000,
    'the refusals in /metrics',
  )
  t.match(text, /dronefleet_broker_auth_failures_total 1/)
  t.match(text, /dronefleet_broker_connected 1/)
  t.match(text, /dronefleet_broker_oversized_packets_total 0/)
  t.match(text, /dronefleet_broker_slow_subscriber_drops_total 0/)
  // A refused publish closes the publisher (MQTT 3.1.1 has no negative PUBACK).
  const gone = new Promise<void>((r) => sim.once('close', () => r()))
  sim.publish(T.deliveryEvents('forged'), '{}', { qos: 1 })
  await gone
  t.match(await (await fetch(`${service.gateway.httpUrl}/metrics`)).text(), /dronefleet_broker_publishes_refused_total 1/)
})

t.test('validate refuses a fleet that cannot fit, with the figure; a failing run does not hang', async (t) => {
  const yaml = (drones: number): string => `
name: huge
seed: 1
start: 2026-01-05T09:00:00Z
duration: 5 min
tick: 1 s
speed: max
depots: [{ id: hub, position: [47.61, -122.33], drones: ${drones} }]
demand: { rate: 10 /h, area: { center: [47.61, -122.33], radius: 1 km } }
`
  t.throws(() => parseScenario(yaml(1e9), 'huge.yaml'), {
    code: 'DF_SCENARIO_INVALID',
    message: /1000000000 drones in total; at most 100000 fit .*GB/,
  })

  // A simulator that cannot be built (here: a bad option) still closes its broker clients.
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const err = await simulate({
    scenario: parseScenario(yaml(2), 'small.yaml'),
    brokerUrl: service.brokerUrlFor('sim'),
    gatewayUrl: service.gateway.httpUrl,
    apiKey: 'test-key',
    topics: service.topics,
    workers: 0,
    out: '/tmp/dronefleet-hostile-none',
  }).catch((e: unknown) => e)
  t.match(err, { code: 'DF_OPTION_INVALID' })
  await until(() => (service.embedded?.aedes.connectedClients === 0 ? true : undefined), 10_000, "the simulator's clients closed")
})
