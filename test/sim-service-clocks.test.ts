import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import type { DeliverySnapshot, TrackMessage } from '../protocol/tracking.js'
import { runCli } from './helpers/cli.js'
import { flyFleet, quietScenario, startTestService, until } from './helpers/service.js'

const DAY_MS = 86_400_000
const auth = { authorization: 'Bearer test-key', 'content-type': 'application/json' }

/** One Prometheus sample's value from a scrape, or undefined. */
function sample(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

t.test(
  'a simulation dated a year before today feeding a service: ready, no lag, latency in wall time, each REST time in its own clock',
  async (t) => {
    const scenario = quietScenario('start: 2025-12-01T09:00:00Z')
    t.ok(Date.now() - scenario.start > 30 * DAY_MS, "simulated time is far from the wall clock's")
    const service = await startTestService(scenario)
    await flyFleet(t, service, scenario, { workers: 1 })
    const api = service.gateway.httpUrl
    await until(() => (service.engine.engine.drones().length === 3 ? true : undefined), 10_000, 'the fleet reporting')

    const res = await fetch(`${api}/v1/deliveries`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.621, lon: -122.33 }, weightKg: 1 }),
    })
    t.equal(res.status, 202)
    const accepted = (await res.json()) as { id: string; trackingUrl: string }
    const acceptedAt = Date.now()

    // Tracking handed to a WebSocket client: the pipeline latency is observed then.
    const messages: TrackMessage[] = []
    const ws = new WebSocket(accepted.trackingUrl)
    t.teardown(() => ws.close())
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as TrackMessage))
    await until(() => (messages.filter((m) => m.type === 'tracking').length >= 3 ? true : undefined), 10_000, 'tracking messages')

    const ready = await fetch(`${api}/readyz`)
    const readyBody = await ready.text()
    t.equal(ready.status, 200, `ready while the simulated clock is months from the wall clock: ${readyBody}`)
    const metrics = await (await fetch(`${api}/metrics`)).text()
    const lag = sample(metrics, 'dronefleet_engine_lag_seconds') ?? Infinity
    t.ok(lag < 5, `engine lag in wall time: ${lag} s`)
    const count = sample(metrics, 'dronefleet_pipeline_latency_seconds_count') ?? 0
    const within10s = sample(metrics, 'dronefleet_pipeline_latency_seconds_bucket{le="10"}') ?? 0
    t.ok(count >= 1, `pipeline latency observed (${count})`)
    t.equal(within10s, count, 'every pipeline latency sample within 10 s: none counts simulated time as latency')

    const snap = (await (await fetch(`${api}/v1/deliveries/${accepted.id}`, { headers: auth })).json()) as DeliverySnapshot
    const created = snap.history.find((e) => e.type === 'DeliveryCreated')
    t.equal(snap.requestedAt, created?.ts, "requestedAt is the engine's event time, the clock of history[].ts")
    t.ok(
      snap.requestedAt !== null && snap.requestedAt >= scenario.start && snap.requestedAt <= scenario.start + scenario.durationS * 1000,
      "in the simulation's time",
    )
    t.ok(Math.abs(snap.createdAt - acceptedAt) < 60_000, "createdAt is the gateway's wall-clock receipt")
    t.ok(snap.updatedAt >= snap.createdAt, 'updatedAt too')
  },
)

const SHORT = `
name: short
seed: 3
start: 2025-12-01T09:00:00Z
duration: 30 s
speed: max
tick: 5 s
depots:
  - { id: hub, position: [47.61, -122.33], drones: 2 }
demand:
  rate: 0.0001 /h
  area: { center: [47.61, -122.33], radius: 1 km }
`

t.test('sim against a service starts at the present by default; --start chooses', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const dir = t.testdir({ 'short.yaml': SHORT })
  const sim = async (out: string, ...more: string[]): Promise<number> => {
    const r = await runCli([
      'sim',
      join(dir, 'short.yaml'),
      '--broker',
      service.brokerUrlFor('sim'),
      '--gateway',
      service.gateway.httpUrl,
      '--api-key',
      'test-key',
      '--workers',
      '1',
      '--out',
      join(dir, out),
      ...more,
    ])
    t.equal(r.code, 0, r.stderr.slice(-300))
    return (JSON.parse(await readFile(join(dir, out, 'results.json'), 'utf8')) as { scenario: { start: number } }).scenario.start
  }
  const before = Date.now()
  const start = await sim('now')
  t.ok(start >= before - 1000 && start <= Date.now(), `started at the present: ${new Date(start).toISOString()}`)
  t.equal(await sim('chosen', '--start', '2030-01-01T00:00:00Z'), Date.parse('2030-01-01T00:00:00Z'), '--start chooses')
  const bad = await runCli([
    'sim',
    join(dir, 'short.yaml'),
    '--broker',
    service.brokerUrlFor('sim'),
    '--gateway',
    service.gateway.httpUrl,
    '--start',
    'yesterday',
  ])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--start must be an ISO 8601 date-time/)
})
