import { spawnSync } from 'node:child_process'
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import t from 'tap'
import { topics as makeTopics } from '../protocol/topics.js'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { startService } from '../service/startService.js'
import { requireMosquittoBinary, startOwnMosquitto } from './helpers/ownMosquitto.js'
import { quietScenario, silent, startTestService, until } from './helpers/service.js'

const T = makeTopics()
const ACL = fileURLToPath(new URL('../../deploy/mosquitto/acl', import.meta.url))
const headers = { authorization: 'Bearer test-key', 'content-type': 'application/json' }
const order = { pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.615, lon: -122.335 }, weightKg: 1 }

const sample = (droneId: string, seq: number): string =>
  JSON.stringify({ droneId, seq, ts: Date.now(), lat: 47.61, lon: -122.33, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' })

async function createDelivery(api: string): Promise<string> {
  const res = await fetch(`${api}/v1/deliveries`, { method: 'POST', headers, body: JSON.stringify(order) })
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`)
  const id = ((await res.json()) as { id: string }).id
  await until(
    async () =>
      ((await (await fetch(`${api}/v1/deliveries/${id}`, { headers })).json()) as { history: unknown[] }).history.length > 0
        ? true
        : undefined,
    10_000,
    'DeliveryCreated in the gateway',
  )
  return id
}

t.test('malformed messages on the broker are counted and dropped; the gateway keeps answering', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  const api = service.gateway.httpUrl
  const id = await createDelivery(api)
  const admin = await mqtt.connectAsync(service.brokerUrl, { reconnectPeriod: 0 })
  t.teardown(() => admin.endAsync())
  // Each was accepted by the old decoders and broke a reader.
  await admin.publishAsync(T.deliveryEvents(id), JSON.stringify({ type: 'DeliveryRescheduled', deliveryId: id, ts: Date.now() }), {
    qos: 1,
  })
  await admin.publishAsync(T.deliveryEvents(id), JSON.stringify({ type: 'DroneAssigned', deliveryId: id, ts: 'soon', droneId: 7 }), {
    qos: 1,
  })
  await admin.publishAsync(T.tracking(id), JSON.stringify({ type: 'tracking', deliveryId: id, position: 'here' }), { qos: 1 })
  await admin.publishAsync(T.requests, JSON.stringify({ type: 'CancelDelivery', id, reason: { evil: true } }), { qos: 1 })
  await admin.publishAsync(
    T.requests,
    JSON.stringify({ type: 'CreateDelivery', id: 'x', pickup: order.pickup, dropoff: order.dropoff, weightKg: 1, deadline: 'tomorrow' }),
    { qos: 1 },
  )
  const metrics = await until(
    async () => {
      const m = await (await fetch(`${api}/metrics`)).text()
      return /dronefleet_requests_rejected_total 2/.test(m) && /dronefleet_messages_rejected_total\{kind="tracking"\} 1/.test(m)
        ? m
        : undefined
    },
    10_000,
    'the bad messages counted',
  )
  t.match(metrics, /dronefleet_messages_rejected_total\{kind="event"\} 2/)
  const list = await fetch(`${api}/v1/deliveries`, { headers })
  t.equal(list.status, 200, 'GET /v1/deliveries still answers')
  const one = (await (await fetch(`${api}/v1/deliveries/${id}`, { headers })).json()) as {
    status: string
    history: Array<{ type: string }>
  }
  t.equal(one.status, 'Created', 'nothing malformed changed the delivery')
  t.same(
    one.history.map((e) => e.type),
    ['DeliveryCreated'],
  )
  t.notOk(service.engine.engine.delivery('x'), 'the malformed CreateDelivery made nothing')
})

t.test('with the shipped Mosquitto ACL each role has only its topics: a drone cannot forge events or requests', async (t) => {
  if (!requireMosquittoBinary(t)) return
  const broker = await startOwnMosquitto(t)
  const passwd = join(broker.dir, 'passwd')
  const users: Record<string, string> = {
    'dronefleet-service': 'svc-pw',
    'dronefleet-sim': 'sim-pw',
    'dronefleet-engine': 'eng-pw',
    'd-1': 'drone-pw',
  }
  for (const [i, [user, pw]] of Object.entries(users).entries()) {
    const r = spawnSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwd, user, pw])
    if (r.status !== 0) throw new Error(`mosquitto_passwd: ${r.stderr.toString()}`)
  }
  chmodSync(passwd, 0o644)
  await broker.stop()
  broker.configure(`allow_anonymous false\npassword_file ${passwd}\nacl_file ${ACL}\nmax_packet_size 1048576`)
  await broker.start()
  const url = (user: string): string => `mqtt://${user}:${users[user]}@127.0.0.1:${broker.port}`

  const service = await startService({
    broker: url('dronefleet-service'),
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey: 'test-key',
    ...scenarioEngineOptions(quietScenario()),
    logger: silent,
  })
  t.teardown(() => service.close())
  const api = service.gateway.httpUrl
  // The service's user has both roles' rights: a request goes in and the engine's event comes back.
  const id = await createDelivery(api)

  const connect = (user: string): Promise<MqttClient> => mqtt.connectAsync(url(user), { reconnectPeriod: 0 })
  const watcher = await connect('dronefleet-engine') // reads requests and telemetry
  const sim = await connect('dronefleet-sim') // reads events
  const drone = await connect('d-1')
  t.teardown(async () => {
    await Promise.all([watcher.endAsync(), sim.endAsync(), drone.endAsync()])
  })
  const seen: Array<{ topic: string; type: string }> = []
  for (const c of [watcher, sim])
    c.on('message', (topic, payload) => seen.push({ topic, type: String((JSON.parse(payload.toString()) as { type?: string }).type) }))
  await watcher.subscribeAsync({ [T.requests]: { qos: 1 }, [T.telemetryAll]: { qos: 1 } })
  await sim.subscribeAsync({ [T.deliveryEventsAll]: { qos: 1 } })

  // The forgeries, then one sample on the drone's own topic: the broker keeps a client's order, so once that
  // sample is seen, any forgery the broker had let through would have been seen before it.
  await drone.publishAsync(
    T.deliveryEvents(id),
    JSON.stringify({ type: 'DeliveryCompleted', deliveryId: id, ts: Date.now(), droneId: 'd-1' }),
    { qos: 1 },
  )
  await drone.publishAsync(T.requests, JSON.stringify({ type: 'CancelDelivery', id, reason: 'forged' }), { qos: 1 })
  await drone.publishAsync(T.telemetry('d-2'), sample('d-2', 1), { qos: 1 })
  await drone.publishAsync(T.telemetry('d-1'), sample('d-1', 1), { qos: 1 })
  await until(() => (seen.some((m) => m.topic === T.telemetry('d-1')) ? true : undefined), 10_000, "the drone's own sample")
  // The engine's own events (it may assign d-1 at once) are not forgeries.
  t.notOk(
    seen.some((m) => m.type === 'DeliveryCompleted'),
    'the forged event never reached a subscriber',
  )
  t.notOk(
    seen.some((m) => m.type === 'CancelDelivery'),
    'the forged request never reached the engine',
  )
  t.notOk(
    seen.some((m) => m.topic === T.telemetry('d-2')),
    "nor telemetry on another drone's topic",
  )
  await until(() => (service.engine.engine.drones().some((d) => d.id === 'd-1') ? true : undefined), 10_000, 'd-1 registered')
  t.notOk(
    service.engine.engine.drones().some((d) => d.id === 'd-2'),
    'a drone cannot speak for another',
  )
  const one = (await (await fetch(`${api}/v1/deliveries/${id}`, { headers })).json()) as { status: string }
  t.ok(
    one.status === 'Created' || one.status === 'HeadedToPickup',
    `the forged completion and cancellation changed nothing (${one.status})`,
  )
  // And a drone hears nothing that is not its own: the next delivery's events reach the simulator, not the drone.
  const heard: string[] = []
  drone.on('message', (topic) => heard.push(topic))
  await drone.subscribeAsync(T.deliveryEventsAll).catch(() => undefined)
  const before = seen.length
  const next = await createDelivery(api)
  await until(
    () => (seen.slice(before).some((m) => m.topic === T.deliveryEvents(next)) ? true : undefined),
    10_000,
    "the next delivery's event at the simulator",
  )
  t.same(heard, [], 'a drone may not listen to delivery events')
})
