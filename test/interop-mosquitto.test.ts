import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t from 'tap'
import type { DroneView } from '../protocol/views.js'
import { spawnCli } from './helpers/cli.js'
import { MOSQUITTO_URL, requireMosquitto } from './helpers/mosquitto.js'
import { until } from './helpers/service.js'

t.test('serve on the Mosquitto broker takes telemetry from a plain MQTT client', async (t) => {
  if (!(await requireMosquitto(t))) return
  // A prefix of our own, so parallel runs on the shared broker do not meet.
  const prefix = `dronefleet-test-${randomBytes(4).toString('hex')}/v1`
  const serve = spawnCli(
    [
      'serve',
      '--data',
      join(tmpdir(), `dronefleet-interop-${randomBytes(4).toString('hex')}`),
      '--broker',
      MOSQUITTO_URL,
      '--http-port',
      '0',
      '--ws-port',
      '0',
      '--api-key',
      'k',
      '--prefix',
      prefix,
    ],
    { DRONEFLEET_LOG: 'warn' },
  )
  t.teardown(() => {
    serve.child.kill('SIGKILL')
  })
  const api = (await serve.waitFor(/http\s+(http:\/\/\S+)/))[1]!
  const headers = { authorization: 'Bearer k' }

  const client = await mqtt.connectAsync(MOSQUITTO_URL, { clientId: `plain-${randomBytes(3).toString('hex')}` })
  t.teardown(() => client.endAsync())
  const ts = Date.now()
  const sample = (id: string, seq: number, lat: number) =>
    JSON.stringify({
      droneId: id,
      seq,
      ts: ts + seq * 1000,
      lat,
      lon: -122.33,
      alt: 60,
      speed: 12,
      heading: 90,
      battery: 0.9,
      state: 'cruise',
    })
  // Bad telemetry first: it must be counted and must not stop the service.
  await client.publishAsync(`${prefix}/telemetry/x-1`, 'not json')
  await client.publishAsync(`${prefix}/telemetry/x-1`, sample('x-1', 1, 91))
  await client.publishAsync(`${prefix}/telemetry/x-1`, JSON.stringify({ droneId: 'x-1', seq: 1 }))
  await client.publishAsync(`${prefix}/telemetry/x-2`, sample('x-1', 1, 47.6))
  for (const [i, id] of ['m-1', 'm-2', 'm-3'].entries()) {
    await client.publishAsync(`${prefix}/telemetry/${id}`, sample(id, 1, 47.6 + i / 100), { qos: 1 })
  }

  const drones = await until(
    async () => {
      const res = await fetch(`${api}/v1/drones`, { headers })
      const body = (await res.json()) as { items: DroneView[] }
      return body.items.length >= 3 ? body.items : undefined
    },
    10_000,
    'three drones in GET /v1/drones',
  )
  t.same(drones.map((d) => d.id).sort(), ['m-1', 'm-2', 'm-3'], 'exactly the valid drones, none of the rejected ones')
  const m2 = drones.find((d) => d.id === 'm-2')!
  t.match(m2, { lat: 47.61, lon: -122.33, alt: 60, battery: 0.9, state: 'cruise', seq: 1 })

  const metrics = await (await fetch(`${api}/metrics`)).text()
  t.match(metrics, /dronefleet_telemetry_rejected_total\{reason="malformed"\} 1/)
  t.match(metrics, /dronefleet_telemetry_rejected_total\{reason="range"\} 1/)
  t.match(metrics, /dronefleet_telemetry_rejected_total\{reason="missing"\} 1/)
  t.match(metrics, /dronefleet_telemetry_rejected_total\{reason="topic"\} 1/)
  t.equal((await fetch(`${api}/readyz`)).status, 200, 'ready: connected to Mosquitto')

  serve.child.kill('SIGTERM')
  t.equal(await serve.exit, 0, 'serve shuts down cleanly on SIGTERM')
})
