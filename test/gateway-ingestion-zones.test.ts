import mqtt from 'mqtt'
import t from 'tap'
import type { DroneView } from '../protocol/views.js'
import { quietScenario, startTestService, until } from './helpers/service.js'

t.test('a request into a no-fly zone is refused at ingestion, naming the point and the zone', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const api = service.gateway.httpUrl
  const headers = { authorization: 'Bearer test-key', 'content-type': 'application/json' }
  const polygon = [
    { lat: 47.62, lon: -122.34 },
    { lat: 47.62, lon: -122.32 },
    { lat: 47.63, lon: -122.32 },
    { lat: 47.63, lon: -122.34 },
  ]
  const added = await fetch(`${api}/v1/zones`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ id: 'stadium', name: 'Stadium', polygon }),
  })
  t.equal(added.status, 202)
  await until(
    async () => ((await fetch(`${api}/v1/zones/stadium`, { headers })).status === 200 ? true : undefined),
    5000,
    'the engine to hold the zone',
  )

  const inside = { lat: 47.625, lon: -122.33 }
  const res = await fetch(`${api}/v1/deliveries`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: inside, weightKg: 1 }),
  })
  t.equal(res.status, 422)
  const problem = (await res.json()) as { code: string; errors: Array<{ field: string; message: string }> }
  t.equal(problem.code, 'DF_REQUEST_INVALID')
  t.same(
    problem.errors.map((e) => e.field),
    ['/dropoff'],
  )
  t.match(problem.errors[0]!.message, /no-fly zone "Stadium"/)

  const outside = await fetch(`${api}/v1/deliveries`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.605, lon: -122.33 }, weightKg: 1 }),
  })
  t.equal(outside.status, 202, 'a request outside every zone is accepted')
  const { id } = (await outside.json()) as { id: string }
  const moved = await fetch(`${api}/v1/deliveries/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ dropoff: inside }) })
  t.equal(moved.status, 422, 'rescheduling into the zone is refused too')
})

t.test('GET /v1/drones pages by id', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const client = await mqtt.connectAsync(service.brokerUrl)
  t.teardown(() => client.endAsync())
  const ids = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5']
  for (const id of ids) {
    const s = { droneId: id, seq: 1, ts: Date.now(), lat: 47.6, lon: -122.3, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' }
    await client.publishAsync(service.topics.telemetry(id), JSON.stringify(s), { qos: 1 })
  }
  const api = service.gateway.httpUrl
  const headers = { authorization: 'Bearer test-key' }
  await until(
    async () => ((await (await fetch(`${api}/v1/drones`, { headers })).json()) as { items: unknown[] }).items.length === 5 || undefined,
    5000,
    'five drones',
  )
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const q: string = `limit=2${cursor ? `&cursor=${cursor}` : ''}`
    const page = (await (await fetch(`${api}/v1/drones?${q}`, { headers })).json()) as { items: DroneView[]; nextCursor: string | null }
    seen.push(...page.items.map((d) => d.id))
    cursor = page.nextCursor
    pages++
  } while (cursor && pages < 10)
  t.same(seen, ids, 'every drone once, in id order')
  t.equal(pages, 3)
  const bad = await fetch(`${api}/v1/drones?limit=0`, { headers })
  t.equal(bad.status, 400)
})
