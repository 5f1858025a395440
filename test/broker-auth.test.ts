import { connectAsync, type MqttClient } from 'mqtt'
import t from 'tap'
import { brokerPolicy, covers, type BrokerUser } from '../broker/brokerPolicy.js'
import { parseBrokerUsers } from '../broker/brokerUsers.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { topics } from '../protocol/topics.js'
import { readServeEnv } from '../cli/serveCommand.js'
import { startService } from '../service/startService.js'
import { quietScenario, silent, startTestService } from './helpers/service.js'
import { until } from './helpers/until.js'

const T = topics()

/** SUBACK return codes (128 = refused); MQTT.js rejects when any is refused, with the SUBACK attached. */
async function granted(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters)).map((g) => g.qos)
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet
    if (!packet?.granted) throw err
    return packet.granted
  }
}
const users: BrokerUser[] = [
  { username: 'd-1', password: 'drone-one-secret', role: 'drone' },
  { username: 'd-2', password: 'drone-two-secret', role: 'drone' },
  { username: 'engine', password: 'engine-secret', role: 'engine' },
  { username: 'gateway', password: 'gateway-secret', role: 'gateway' },
]

t.test('covers: a grant covers a topic or filter only when it matches everything the filter can', async (t) => {
  t.ok(covers('a/telemetry/+', 'a/telemetry/d-1'))
  t.ok(covers('a/telemetry/+', 'a/telemetry/+'))
  t.notOk(covers('a/telemetry/+', 'a/telemetry/#'), '# reaches deeper levels than +')
  t.notOk(covers('a/telemetry/d-1', 'a/telemetry/+'), 'a wildcard filter is more than one drone')
  t.notOk(covers('a/telemetry/d-1', 'a/telemetry/d-1/x'))
  t.notOk(covers('a/telemetry/d-1', 'a/telemetry'))
  t.ok(covers('#', 'anything/at/all'))
})

t.test('the policy: drones own their topics, each service only its own', async (t) => {
  const p = brokerPolicy(users, T)
  t.equal(p.authenticate('d-1', 'wrong-password'), undefined)
  t.equal(p.authenticate('nobody', 'drone-one-secret'), undefined)
  t.equal(p.authenticate(undefined, undefined), undefined)
  const d1 = p.authenticate('d-1', Buffer.from('drone-one-secret'))
  t.same(d1, { username: 'd-1', role: 'drone' })
  if (!d1) return
  t.ok(p.mayPublish(d1, T.telemetry('d-1')))
  t.notOk(p.mayPublish(d1, T.telemetry('d-2')))
  t.notOk(p.mayPublish(d1, T.requests))
  t.ok(p.maySubscribe(d1, T.commands('d-1')))
  t.notOk(p.maySubscribe(d1, T.commands('d-2')))
  t.notOk(p.maySubscribe(d1, T.commandsAll))
  const gw = p.authenticate('gateway', 'gateway-secret')
  if (!gw) return t.fail('gateway authenticates')
  t.ok(p.mayPublish(gw, T.requests))
  t.notOk(p.mayPublish(gw, T.telemetry('d-1')), 'the gateway cannot pose as a drone')
  t.ok(p.maySubscribe(gw, T.deliveryEventsAll))
})

t.test("each role has the same grants on every region's topics as on the default region's", async (t) => {
  const p = brokerPolicy([...users, { username: 'sim', password: 'sim-secret', role: 'sim' }], T)
  const north = T.forRegion('north')
  const d1 = p.authenticate('d-1', 'drone-one-secret')!
  const engine = p.authenticate('engine', 'engine-secret')!
  const gw = p.authenticate('gateway', 'gateway-secret')!
  const sim = p.authenticate('sim', 'sim-secret')!
  t.ok(p.mayPublish(d1, north.telemetry('d-1')), 'a drone reports in its region')
  t.notOk(p.mayPublish(d1, north.telemetry('d-2')), 'but not as another drone')
  for (const topic of [north.telemetryAll, north.telemetryBatchAll, north.requests, north.simClock])
    t.ok(p.maySubscribe(engine, topic), `the engine hears ${topic}`)
  t.ok(p.mayPublish(engine, north.engineWatermark))
  t.notOk(p.mayPublish(engine, north.telemetryBatch(0)), 'the engine cannot pose as the simulator')
  t.ok(p.mayPublish(gw, north.requests))
  t.notOk(p.mayPublish(gw, north.simClock))
  for (const topic of [north.telemetry('d-3'), north.telemetryBatch(4), north.simClock])
    t.ok(p.mayPublish(sim, topic), `the sim sends ${topic}`)
  t.ok(p.maySubscribe(sim, north.engineWatermark))
  t.notOk(p.mayPublish(sim, north.requests), 'the simulator asks the gateway, not the engine')
  t.notOk(p.mayPublish(sim, `${T.prefix}/regions/north/south/telemetry/d-1`), 'one level is one region')
})

t.test('a users file is validated with the field and value named', async (t) => {
  t.same(parseBrokerUsers({ users: [{ username: 'd-9', password: '12345678', role: 'drone' }] }, 'u.json'), [
    { username: 'd-9', password: '12345678', role: 'drone' },
  ])
  t.throws(() => parseBrokerUsers({ users: [{ username: 'd-9', password: '12345678', role: 'pilot' }] }, 'u.json'), {
    code: 'DF_FLAG_INVALID',
    message: /u\.json: users\[0\]\.role must be one of admin, engine, gateway, sim, drone, got "pilot"/,
  })
  t.throws(() => parseBrokerUsers({ users: [{ username: 'd/+', password: '12345678', role: 'drone' }] }, 'u.json'), {
    message: /users\[0\]\.username must be the drone id .*got "d\/\+"/,
  })
  t.throws(() => parseBrokerUsers({ users: [{ username: 'd-1', password: 'short', role: 'drone' }] }, 'u.json'), {
    message: /users\[0\]\.password must be a string of at least 8 characters/,
  })
  t.throws(() => parseBrokerUsers({}, 'u.json'), { message: /u\.json: users must be a list/ })
})

t.test("over real sockets: a drone cannot publish on another drone's topic nor read its commands", async (t) => {
  const broker = await startEmbeddedBroker({ port: 0, policy: brokerPolicy(users, T) })
  const clients: MqttClient[] = []
  t.teardown(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {})
    await broker.close()
  })
  const connect = async (username: string, password: string): Promise<MqttClient> => {
    const c = await connectAsync(broker.url, { username, password, reconnectPeriod: 0 })
    clients.push(c)
    return c
  }

  await t.rejects(connectAsync(broker.url, { reconnectPeriod: 0 }), /Not authorized|Bad username or password/i, 'anonymous is refused')
  await t.rejects(
    connectAsync(broker.url, { username: 'd-1', password: 'guess', reconnectPeriod: 0 }),
    /Bad username or password/i,
    'a wrong password is refused',
  )

  const engine = await connect('engine', 'engine-secret')
  const seen: string[] = []
  engine.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`))
  await engine.subscribeAsync(T.telemetryAll, { qos: 1 })

  const d1 = await connect('d-1', 'drone-one-secret')
  await d1.publishAsync(T.telemetry('d-1'), 'own', { qos: 1 })
  t.same(
    await granted(d1, [T.commands('d-1'), T.commands('d-2'), T.commandsAll]),
    [0, 128, 128],
    "its own commands yes; another drone's or everyone's no",
  )

  const closed = new Promise<void>((resolve) => d1.once('close', () => resolve()))
  d1.publish(T.telemetry('d-2'), 'forged', { qos: 1 })
  await closed
  t.pass("publishing on another drone's topic closes the connection")

  // A marker after the forgery: once it arrives, the forgery would have arrived before it.
  const d2 = await connect('d-2', 'drone-two-secret')
  await d2.publishAsync(T.telemetry('d-2'), 'marker', { qos: 1 })
  await until(() => (seen.some((s) => s.endsWith('marker')) ? true : undefined), 10_000, 'the marker')
  t.same(seen, [`${T.telemetry('d-1')} own`, `${T.telemetry('d-2')} marker`], 'the forged sample never reached the engine')
})

t.test('the service runs on the authenticated embedded broker; each part has its own credentials', async (t) => {
  const service = await startTestService(quietScenario())
  t.teardown(() => service.close())
  t.notMatch(service.publicBrokerUrl, /@/, 'the printable URL carries no credentials')
  await t.rejects(connectAsync(service.publicBrokerUrl, { reconnectPeriod: 0 }), /Not authorized|Bad username or password/i)
  const gw = await connectAsync(service.brokerUrlFor('gateway'), { reconnectPeriod: 0 })
  t.teardown(() => gw.endAsync(true))
  t.same(
    await granted(gw, [service.topics.deliveryEventsAll, service.topics.telemetryAll]),
    [0, 128],
    'the gateway user reads delivery events, not telemetry',
  )
  const ready = await fetch(`${service.gateway.httpUrl}/readyz`)
  t.equal(ready.status, 200, 'engine and gateway connected with their own users')
})

t.test('serve reads broker users and secrets from the environment, naming what is wrong', async (t) => {
  const dir = t.testdir({
    'users.json': JSON.stringify({ users: [{ username: 'd-42', password: 'forty-two-secret', role: 'drone' }] }),
    'bad.json': JSON.stringify({ users: [{ username: 'd-42', password: 'forty-two-secret', role: 'captain' }] }),
  })
  const env = await readServeEnv({
    DRONEFLEET_MQTT_USERS: `${dir}/users.json`,
    DRONEFLEET_TRACKING_SECRET: 'x'.repeat(32),
    DRONEFLEET_MAX_PENDING_REQUESTS: '10',
  })
  t.same(env.brokerUsers, [{ username: 'd-42', password: 'forty-two-secret', role: 'drone' }])
  t.same(env.gateway, { maxPendingRequests: 10 })
  await t.rejects(readServeEnv({ DRONEFLEET_MQTT_USERS: `${dir}/bad.json` }), {
    code: 'DF_FLAG_INVALID',
    message: /bad\.json: users\[0\]\.role must be one of .*got "captain"/,
  })
  await t.rejects(readServeEnv({ DRONEFLEET_MQTT_USERS: `${dir}/missing.json` }), {
    message: /DRONEFLEET_MQTT_USERS: cannot read .*missing\.json/,
  })
  await t.rejects(readServeEnv({ DRONEFLEET_TRACKING_SECRET: 'short' }), {
    message: 'DRONEFLEET_TRACKING_SECRET must be at least 32 characters, got "5 characters"',
  })
  await t.rejects(readServeEnv({ DRONEFLEET_MAX_ENGINE_LAG_MS: '-3' }), {
    code: 'DF_FLAG_INVALID',
    message: 'DRONEFLEET_MAX_ENGINE_LAG_MS must be a whole number 1..86400000, got "-3"',
  })

  // A configured drone flies on the service's broker with its own credentials, and only as itself.
  const s = quietScenario()
  const service = await startService({
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey: null,
    profile: s.drone,
    depots: s.depots.map((d) => d.position),
    logger: silent,
    brokerUsers: env.brokerUsers,
  })
  t.teardown(() => service.close())
  const drone = await connectAsync(service.publicBrokerUrl, { username: 'd-42', password: 'forty-two-secret', reconnectPeriod: 0 })
  t.teardown(() => drone.endAsync(true))
  const sample = {
    droneId: 'd-42',
    seq: 1,
    ts: Date.now(),
    lat: 47.61,
    lon: -122.33,
    alt: 0,
    speed: 0,
    heading: 0,
    battery: 1,
    state: 'idle',
  }
  await drone.publishAsync(service.topics.telemetry('d-42'), JSON.stringify(sample), { qos: 1 })
  await until(
    async () => ((await fetch(`${service.gateway.httpUrl}/v1/drones/d-42`)).status === 200 ? true : undefined),
    10_000,
    'the drone d-42 in the engine',
  )
  t.pass('the engine registered the drone from its own telemetry')
})
