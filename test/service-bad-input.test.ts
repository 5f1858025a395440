import mqtt from 'mqtt'
import t from 'tap'
import type { DeliverySnapshot } from '../protocol/tracking.js'
import { quietScenario, startTestService, until } from './helpers/service.js'

t.test('bad telemetry, bad requests and bad bodies are refused and the service keeps working', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const tp = service.topics
  const client = await mqtt.connectAsync(service.brokerUrl)
  t.teardown(() => client.endAsync())
  const api = service.gateway.httpUrl
  const headers = { authorization: 'Bearer test-key', 'content-type': 'application/json' }

  const junk: Array<[string, string | Buffer]> = [
    [tp.telemetry('d-1'), 'not json'],
    [tp.telemetry('d-1'), Buffer.from([0xff, 0x00, 0x13, 0x37])],
    [tp.telemetry('d-1'), '{"droneId":"d-1","seq":1,"ts":1,"lat":NaN}'],
    [
      tp.telemetry('d-1'),
      JSON.stringify({ droneId: 'd-1', seq: 1, ts: 1, lat: 1, lon: 1, alt: 1, speed: 1, heading: 1, battery: 7, state: 'idle' }),
    ],
    [tp.telemetry('d-1'), `{"droneId":"${'x'.repeat(100_000)}"}`],
    [tp.requests, 'not json'],
    [tp.requests, JSON.stringify({ type: 'CreateDelivery' })],
    [tp.requests, JSON.stringify({ type: 'CreateDelivery', id: 'x', pickup: { lat: 'a' } })],
    [tp.simClock, '{"t":"soon"}'],
  ]
  for (const [topic, payload] of junk) await client.publishAsync(topic, payload, { qos: 1 })

  for (const body of [
    '{',
    '[]',
    JSON.stringify({ pickup: { lat: 95, lon: 0 }, dropoff: { lat: 0, lon: 0 }, weightKg: 1 }),
    JSON.stringify({ pickup: { lat: 0, lon: 0 }, dropoff: { lat: 0, lon: 0 }, weightKg: -1 }),
  ]) {
    const res = await fetch(`${api}/v1/deliveries`, { method: 'POST', headers, body })
    t.equal(res.status, 400, `refused: ${body.slice(0, 40)}`)
    t.match(res.headers.get('content-type'), /application\/problem\+json/)
  }

  // Now a real drone reports and a real request arrives: both must work.
  const sample = {
    droneId: 'd-1',
    seq: 5,
    ts: Date.now(),
    lat: 47.61,
    lon: -122.33,
    alt: 0,
    speed: 0,
    heading: 0,
    battery: 1,
    state: 'idle',
  }
  await client.publishAsync(tp.telemetry('d-1'), JSON.stringify(sample), { qos: 1 })
  const res = await fetch(`${api}/v1/deliveries`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.33 }, weightKg: 1 }),
  })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  const snap = await until(
    async () => {
      const s = (await (await fetch(`${api}/v1/deliveries/${id}`, { headers })).json()) as DeliverySnapshot
      return s.droneId ? s : undefined
    },
    10_000,
    'an assignment',
  )
  t.equal(snap.droneId, 'd-1', 'the valid delivery got the valid drone')
  t.equal(snap.status, 'HeadedToPickup')

  const stats = service.engine.engine.stats()
  t.equal(stats.telemetryRejected.malformed, 3, 'non-JSON, binary junk and NaN text counted as malformed')
  t.equal(stats.telemetryRejected.range, 1, 'battery 7 counted as out of range')
  t.equal(stats.telemetryRejected.type, 1, 'an overlong drone id counted as a type error')
  t.equal((await fetch(`${api}/healthz`)).status, 200)

  // A redelivered sample is dropped as a duplicate, and the metric says so.
  await client.publishAsync(tp.telemetry('d-1'), JSON.stringify(sample), { qos: 1 })
  const metrics = await until(
    async () => {
      const text = await (await fetch(`${api}/metrics`)).text()
      return /dronefleet_telemetry_duplicate_total 1\b/.test(text) ? text : undefined
    },
    5000,
    'the duplicate to be counted',
  )
  t.match(metrics, /dronefleet_drones_lost_total 0/)
  t.match(metrics, /^dronefleet_eta_within_window_total 0$/m)
  t.match(metrics, /^dronefleet_eta_abs_error_seconds_count 0$/m, 'ETA accuracy from the engine: no delivery completed yet')
})
