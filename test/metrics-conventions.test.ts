import { readFileSync } from 'node:fs'
import { connectAsync } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import type { EngineView } from '../gateway/EngineView.js'
import { startGateway } from '../gateway/startGateway.js'
import { topics } from '../protocol/topics.js'
import type { EngineStats } from '../protocol/views.js'
import { ROOT } from './helpers/cli.js'

const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version
const stats: EngineStats = {
  telemetryReceived: 0,
  telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
  telemetryStale: 0,
  assignments: 0,
  deliveriesByStatus: { Created: 0, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 0 },
  watermark: 0,
}
const engine: EngineView = { drones: () => [], drone: () => undefined, stats: () => stats }

const broker = await startEmbeddedBroker({ port: 0 })
const mqtt = await connectAsync(broker.url)
const gw = await startGateway({
  mqtt,
  topics: topics(),
  engine,
  httpPort: 0,
  wsPort: 0,
  apiKey: null,
  trackingSecret: Buffer.from('metrics test secret'),
  logger: false,
})
t.teardown(async () => {
  await gw.close()
  await mqtt.endAsync()
  await broker.close()
})
const scrape = async (): Promise<string> => (await fetch(`${gw.httpUrl}/metrics`)).text()
const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('default process and Node.js metrics carry their stock names, without our prefix', async (t) => {
  const text = await scrape()
  t.match(text, /^process_cpu_user_seconds_total /m)
  t.match(text, /^process_resident_memory_bytes /m)
  t.match(text, /^nodejs_eventloop_lag_seconds /m)
  t.match(text, /^nodejs_heap_size_used_bytes /m)
  t.notMatch(text, /^dronefleet_(process|nodejs)_/m, 'no prefixed copies')
})

t.test('dronefleet_build_info says which version and which Node.js', async (t) => {
  const text = await scrape()
  t.equal(value(text, `dronefleet_build_info{version="${version}",node_version="${process.version}"}`), 1)
})

t.test('HTTP request durations are a histogram labelled by route pattern, never by raw URL', async (t) => {
  const before = await scrape()
  const series = 'dronefleet_http_request_duration_seconds_count{method="GET",route="/v1/deliveries/:id",status="404"}'
  const n0 = value(before, series) ?? 0
  t.equal((await fetch(`${gw.httpUrl}/v1/deliveries/no-such-delivery-4711`)).status, 404)
  t.equal((await fetch(`${gw.httpUrl}/v1/deliveries/another-id-0815`)).status, 404)
  t.equal((await fetch(`${gw.httpUrl}/track/some-id-42?token=secret-token-value`)).status, 401)
  const text = await scrape()
  t.equal(value(text, series), n0 + 2, 'both requests in the one series of their route')
  t.match(text, /^# TYPE dronefleet_http_request_duration_seconds histogram$/m)
  t.match(
    text,
    /^dronefleet_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/v1\/deliveries\/:id",status="404"\} \d+$/m,
  )
  t.equal(value(text, 'dronefleet_http_request_duration_seconds_count{method="GET",route="/track/:id",status="401"}'), 1)
  for (const raw of ['no-such-delivery-4711', 'another-id-0815', 'some-id-42', 'secret-token-value'])
    t.notOk(text.includes(raw), `no raw URL part (${raw}) in a label`)
  const sum = value(text, 'dronefleet_http_request_duration_seconds_sum{method="GET",route="/v1/deliveries/:id",status="404"}')
  t.ok(sum !== undefined && sum > 0 && sum < 60, `seconds, not ms (${sum})`)
})

t.test('ETA error is a histogram that reads no data, not 0, before any delivery completes', async (t) => {
  const empty = await scrape()
  t.match(empty, /^# TYPE dronefleet_eta_abs_error_seconds histogram$/m)
  t.equal(value(empty, 'dronefleet_eta_abs_error_seconds_count'), 0)
  t.equal(value(empty, 'dronefleet_eta_abs_error_seconds_sum'), 0)
  t.equal(value(empty, 'dronefleet_eta_abs_error_seconds_bucket{le="60"}'), 0)
  t.equal(value(empty, 'dronefleet_eta_within_window_total'), 0)
  t.notMatch(empty, /dronefleet_eta_abs_error_seconds_mean|dronefleet_eta_within_window_ratio/, 'no gauge that reads 0 before data')

  // Three deliveries: |errors| 3 s, 40 s and 700 s; two inside their window.
  stats.etaError = {
    count: 3,
    sumS: 3 - 40 + 700,
    sumAbsS: 743,
    withinWindow: 2,
    buckets: [5, 15, 30, 60, 120, 300, 600].map((le) => ({ le, count: [3, 40, 700].filter((e) => e <= le).length })),
  }
  const text = await scrape()
  t.equal(value(text, 'dronefleet_eta_abs_error_seconds_bucket{le="5"}'), 1)
  t.equal(value(text, 'dronefleet_eta_abs_error_seconds_bucket{le="30"}'), 1)
  t.equal(value(text, 'dronefleet_eta_abs_error_seconds_bucket{le="60"}'), 2)
  t.equal(value(text, 'dronefleet_eta_abs_error_seconds_bucket{le="600"}'), 2)
  t.equal(value(text, 'dronefleet_eta_abs_error_seconds_bucket{le="+Inf"}'), 3, '+Inf counts every delivery, the 700 s one too')
  t.equal(value(text, 'dronefleet_eta_abs_error_seconds_sum'), 743)
  t.equal(value(text, 'dronefleet_eta_abs_error_seconds_count'), 3)
  t.equal(value(text, 'dronefleet_eta_within_window_total'), 2)
})
