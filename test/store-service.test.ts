import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { startService, type Service } from '../service/startService.js'
import { openStore } from '../store/openStore.js'
import { runCli } from './helpers/cli.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { quietScenario, silent } from './helpers/service.js'

const scenario = quietScenario()
const order = { pickup: { lat: 47.611, lon: -122.331 }, dropoff: { lat: 47.615, lon: -122.335 }, weightKg: 1 }
const headers = (key?: string): Record<string, string> => ({
  'content-type': 'application/json',
  authorization: 'Bearer test-key',
  ...(key ? { 'idempotency-key': key } : {}),
})

/** The service on the given store spec and ports (0: free ones). */
async function start(spec: string, ports = { httpPort: 0, wsPort: 0 }): Promise<Service> {
  return startService({
    store: await openStore(spec),
    mqttPort: 0,
    ...ports,
    host: '127.0.0.1',
    apiKey: 'test-key',
    ...scenarioEngineOptions(scenario),
    logger: silent,
  })
}

const post = (s: Service, key?: string, body: unknown = order): Promise<Response> =>
  fetch(`${s.gateway.httpUrl}/v1/deliveries`, { method: 'POST', headers: headers(key), body: JSON.stringify(body) })

/** The first message of a tracking socket, or its refusal. */
function firstMessage(url: string): Promise<{ type: string; delivery?: { id: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('message', (m) => {
      resolve(JSON.parse(String(m)) as { type: string })
      ws.close()
    })
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

async function restartKeepsDeliveries(t: Test, spec: string): Promise<void> {
  let s = await start(spec)
  const first = await post(s, 'order-1')
  t.equal(first.status, 202)
  const a = (await first.json()) as { id: string; trackingToken: string; trackingUrl: string }
  const got = await fetch(`${s.gateway.httpUrl}/v1/deliveries/${a.id}`, { headers: headers() })
  t.equal(got.status, 200, 'GET finds it')
  t.match(await got.json(), { id: a.id, weightKg: 1 })
  const list = (await (await fetch(`${s.gateway.httpUrl}/v1/deliveries?limit=10`, { headers: headers() })).json()) as {
    items: Array<{ id: string }>
  }
  t.same(
    list.items.map((x) => x.id),
    [a.id],
    'the list holds it',
  )
  const ports = { httpPort: s.gateway.httpPort, wsPort: s.gateway.wsPort }
  await s.close()

  s = await start(spec, ports)
  t.teardown(() => s.close())
  const again = await post(s, 'order-1')
  t.equal(again.status, 202)
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  t.same(await again.json(), a, 'the same key after a restart: the same delivery, the same answer')
  t.equal((await post(s, 'order-1', { ...order, weightKg: 2 })).status, 422, 'another body: a conflict')
  t.equal((await fetch(`${s.gateway.httpUrl}/v1/deliveries/${a.id}`, { headers: headers() })).status, 200, 'GET after the restart')
  const snapshot = await firstMessage(a.trackingUrl)
  t.match(snapshot, { type: 'snapshot', delivery: { id: a.id } }, 'the token from before the restart opens the socket')
  const page = await fetch(`${s.gateway.httpUrl}/track/${a.id}?token=${encodeURIComponent(a.trackingToken)}`)
  t.equal(page.status, 200, 'and the tracking page')
}

t.test('embedded store: a delivery, its key and its tracking token outlive a restart with the same data directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'df-store-service-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await restartKeepsDeliveries(t, dir)
})

t.test('PostgreSQL store: the same', async (t) => {
  if (!(await requirePostgres(t))) return
  await restartKeepsDeliveries(t, await tempDatabase(t))
})

t.test('serve with a store that cannot be opened exits 2 naming DF_STORE_UNAVAILABLE', async (t) => {
  const r = await runCli(['serve', '--data', '/dev/null/store', '--mqtt-port', '0', '--http-port', '0', '--ws-port', '0', '--api-key', 'k'])
  t.equal(r.code, 2)
  t.match(r.stderr, /DF_STORE_UNAVAILABLE/)
  t.match(r.stderr, /\/dev\/null\/store/)
  const pg = await runCli([
    'serve',
    '--store',
    'postgres://nobody@127.0.0.1:1/none',
    '--mqtt-port',
    '0',
    '--http-port',
    '0',
    '--ws-port',
    '0',
    '--api-key',
    'k',
  ])
  t.equal(pg.code, 2)
  t.match(pg.stderr, /DF_STORE_UNAVAILABLE/)
  const both = await runCli(['serve', '--data', '/tmp/x', '--store', 'postgres://a@b/c'])
  t.equal(both.code, 2, '--data and --store exclude each other')
  t.match(both.stderr, /--store|--data/)
})
