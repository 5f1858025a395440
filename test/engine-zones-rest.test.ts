import { connectAsync } from 'mqtt'
import t from 'tap'
import type { LatLon } from '../protocol/geo.js'
import { quietScenario, startTestService, until } from './helpers/service.js'

const KEY = 'test-key'
const auth = { authorization: `Bearer ${KEY}` }
const HUB: LatLon = { lat: 47.61, lon: -122.33 }
const off = (northM: number, eastM: number): LatLon => ({
  lat: HUB.lat + northM / 111_195,
  lon: HUB.lon + eastM / (111_195 * Math.cos((HUB.lat * Math.PI) / 180)),
})
const SQUARE = [off(1000, 0), off(1000, 500), off(1500, 500), off(1500, 0)]

t.test('zones over REST reach the engine over the broker; bad polygons are refused naming field and value', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const url = service.gateway.httpUrl
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the route answers
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const r = await fetch(url + path, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: r.status, body: await r.json() }
  }

  const unauth = await fetch(`${url}/v1/zones`)
  t.equal(unauth.status, 401, 'operator route: needs the API key')

  const created = await call('POST', '/v1/zones', { id: 'stadium', name: 'Stadium', polygon: SQUARE })
  t.equal(created.status, 202)
  t.match(created.body, { id: 'stadium', accepted: true, zone: { id: 'stadium', name: 'Stadium', noFly: true } })
  const listed = await until(
    async () => {
      const r = await call('GET', '/v1/zones')
      return r.body.items.length > 0 ? r.body.items : undefined
    },
    10_000,
    'the zone in GET /v1/zones',
  )
  t.match(listed, [{ id: 'stadium', polygon: SQUARE, noFly: true }])
  t.match((await call('GET', '/v1/zones/stadium')).body, { id: 'stadium' })
  t.equal((await call('GET', '/v1/zones/nope')).status, 404)

  const generated = await call('POST', '/v1/zones', { polygon: SQUARE.map((p) => ({ lat: p.lat - 0.05, lon: p.lon })), noFly: false })
  t.equal(generated.status, 202)
  t.match(generated.body, { id: /^zone-/, zone: { noFly: false } })

  const bowtie = await call('POST', '/v1/zones', { polygon: [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]] })
  t.equal(bowtie.status, 400)
  t.match(bowtie.body, { code: 'DF_REQUEST_INVALID', errors: [{ field: '/polygon/0', message: /must not intersect itself/ }] })
  const badLat = await call('POST', '/v1/zones', { polygon: [SQUARE[0], { lat: 123, lon: 0 }, SQUARE[2]] })
  t.equal(badLat.status, 400)
  t.match(badLat.body, { errors: [{ field: '/polygon/1/lat', value: 123 }] })
  const tooFew = await call('POST', '/v1/zones', { polygon: [SQUARE[0], SQUARE[1]] })
  t.equal(tooFew.status, 400)

  // A delivery into the zone is refused at ingestion, naming the point and the zone.
  const del = await call('POST', '/v1/deliveries', { pickup: HUB, dropoff: off(1200, 250), weightKg: 1 })
  t.equal(del.status, 422)
  t.match(del.body, { errors: [{ field: '/dropoff', message: /no-fly zone "Stadium"/ }] })

  const removed = await call('DELETE', '/v1/zones/stadium')
  t.equal(removed.status, 202)
  await until(async () => ((await call('GET', '/v1/zones/stadium')).status === 404 ? true : undefined), 10_000, 'the zone to go')
  t.equal((await call('DELETE', '/v1/zones/stadium')).status, 404)
})

t.test("GET /v1/drones?near= answers from the engine's index", async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const client = await connectAsync(service.brokerUrl)
  t.teardown(() => client.endAsync())
  const ts = Date.now()
  const drones: Array<[string, LatLon]> = [
    ['n100', off(100, 0)],
    ['e300', off(0, 300)],
    ['far', off(5000, 0)],
  ]
  for (const [id, p] of drones) {
    await client.publishAsync(
      service.topics.telemetry(id),
      JSON.stringify({ droneId: id, seq: 1, ts, lat: p.lat, lon: p.lon, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' }),
    )
  }
  await until(() => (service.engine.engine.drones().length === 3 ? true : undefined), 10_000, 'three drones')
  const r = await fetch(`${service.gateway.httpUrl}/v1/drones?near=${HUB.lat},${HUB.lon}&radius=500`, { headers: auth })
  t.equal(r.status, 200)
  const body = (await r.json()) as { items: Array<{ id: string; distanceM: number }> }
  t.same(
    body.items.map((d) => [d.id, d.distanceM]),
    [
      ['n100', 100],
      ['e300', 300],
    ],
  )
})
