import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { gatewayHistory, gatewaySubmitter } from '../sim/gatewayClient.js'

const arrival = {
  at: 0,
  pickup: { lat: 47.6, lon: -122.33 },
  dropoff: { lat: 47.61, lon: -122.33 },
  weightKg: 1,
  deadline: 1_763_700_000_000,
}

function gateway(port = 0): Promise<{ server: Server; port: number; keys: string[] }> {
  const keys: string[] = []
  const server = createServer((req, res) => {
    keys.push(String(req.headers['idempotency-key']))
    req.resume()
    res.writeHead(202, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ id: `del-${keys.length}` }))
  })
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, keys })),
  )
}

t.test('the simulator retries a gateway that went away mid-run (a restart), with the same key', async (t) => {
  const first = await gateway()
  const waits: number[] = []
  let restarted: Promise<{ server: Server; keys: string[] }> | null = null
  const submit = gatewaySubmitter({
    baseUrl: `http://127.0.0.1:${first.port}`,
    apiKey: null,
    // The gateway comes back during the second wait.
    sleep: async (ms) => {
      waits.push(ms)
      if (waits.length === 2) restarted = gateway(first.port)
      if (restarted) await restarted
    },
  })
  t.equal(await submit(arrival, 'k-1'), 'del-1')
  await new Promise((r) => first.server.close(r))
  t.equal(await submit(arrival, 'k-2'), 'del-1', 'answered by the restarted gateway')
  t.ok(restarted)
  const second = await (restarted as unknown as Promise<{ server: Server; keys: string[] }>)
  t.teardown(() => new Promise((r) => second.server.close(r)))
  t.same(second.keys, ['k-2'], 'the retried request carries its idempotency key')
  t.same(waits, [250, 500], 'with backoff')
})

t.test('a gateway that stays away is given up on after reconnectMs, with DF_GATEWAY_UNREACHABLE', async (t) => {
  const first = await gateway()
  let slept = 0
  const submit = gatewaySubmitter({
    baseUrl: `http://127.0.0.1:${first.port}`,
    apiKey: null,
    reconnectMs: 3000,
    sleep: async (ms) => {
      slept += ms
    },
  })
  await submit(arrival, 'k-1')
  await new Promise((r) => first.server.close(r))
  await t.rejects(submit(arrival, 'k-2'), { code: 'DF_GATEWAY_UNREACHABLE' })
  t.equal(slept, 3000)
})

t.test("the simulator's history read asks a restarting gateway again, then decodes the history", async (t) => {
  let asked = 0
  const created = {
    type: 'DeliveryCreated',
    deliveryId: 'del-1',
    ts: 1,
    pickup: arrival.pickup,
    dropoff: arrival.dropoff,
    weightKg: 1,
    deadline: null,
  }
  const server = createServer((req, res) => {
    asked++
    t.equal(req.headers.authorization, 'Bearer k')
    if (asked < 3) {
      res.writeHead(503).end()
      return
    }
    res.writeHead(req.url === '/v1/deliveries/del-1' ? 200 : 404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ id: 'del-1', history: [created, { type: 'Nonsense' }] }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const waits: number[] = []
  const read = gatewayHistory({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey: 'k',
    sleep: async (ms) => {
      waits.push(ms)
    },
  })
  t.same(await read('del-1'), [created], 'answered on the third ask; what does not decode is left out')
  t.same(waits, [100, 200], 'with backoff between asks')
  t.equal(await read('del-2'), undefined, 'a 404 is no history')
  const gone = gatewayHistory({ baseUrl: 'http://127.0.0.1:1', apiKey: null, reconnectMs: 1000, sleep: async () => {} })
  t.equal(await gone('del-1'), undefined, 'a gateway that never answers gives up after reconnectMs')
})
