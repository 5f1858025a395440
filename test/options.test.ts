import { readFile } from 'node:fs/promises'
import { connectAsync } from 'mqtt'
import { pino } from 'pino'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { resolveEmbeddedBrokerOptions } from '../broker/embeddedBrokerOptions.js'
import { Engine, type EngineOptions } from '../engine/Engine.js'
import { resolveEngineOptions } from '../engine/engineOptions.js'
import { startMqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { resolveMqttEngineOptions } from '../engine/mqtt/mqttEngineOptions.js'
import { Supervisor } from '../engine/Supervisor.js'
import { resolveSupervisorOptions } from '../engine/supervisorOptions.js'
import type { EngineView } from '../gateway/EngineView.js'
import { resolveGatewayOptions } from '../gateway/gatewayOptions.js'
import { startGateway } from '../gateway/startGateway.js'
import { resolveLoadOptions } from '../loadgen/loadOptions.js'
import { runLoad, type LoadOptions } from '../loadgen/runLoad.js'
import { DronefleetError } from '../protocol/errors.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics } from '../protocol/topics.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'
import { Simulator } from '../sim/Simulator.js'
import { resolveSimulatorOptions } from '../sim/simulatorOptions.js'
import { systemWall } from '../sim/WallClock.js'
import { ROOT } from './helpers/cli.js'

const T = topics('options-test')
const sink: EngineOptions['sink'] = { command: () => {}, event: () => {}, tracking: () => {} }
const base: EngineOptions = { profile: DEFAULT_PROFILE, depots: [{ lat: 47.6, lon: -122.33 }], sink }
const engineView: EngineView = {
  drones: () => [],
  drone: () => undefined,
  stats: () => ({
    telemetryReceived: 0,
    telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
    telemetryStale: 0,
    assignments: 0,
    deliveriesByStatus: { Created: 0, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 0 },
    watermark: 0,
  }),
}
const scenario = parseScenario(await readFile(`${ROOT}scenarios/quickstart.yaml`), 'quickstart.yaml')

/** The error a bad option must be: DF_OPTION_INVALID, naming the option (field and message) and the value. */
function refusal(field: string, value: unknown): { code: string; field: string; value: unknown; message: RegExp } {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return {
    code: 'DF_OPTION_INVALID',
    field,
    value,
    message: new RegExp(`option ${field.replace(/[.[\]]/g, '\\$&')} must be .*, got ${shown.replace(/[.[\]]/g, '\\$&')}$`),
  }
}

t.test('Supervisor: a negative silenceFactor is refused, naming the option and the value', async (t) => {
  const err = t.throws(() => new Supervisor({ silenceFactor: -1 }))
  t.type(err, DronefleetError)
  t.match(err, refusal('silenceFactor', -1))
  t.match(err, { message: 'Supervisor option silenceFactor must be a number > 0, got -1' })
  t.throws(() => new Supervisor({ outageMinDrones: 2.5 }), refusal('outageMinDrones', 2.5))
  t.throws(() => new Supervisor({ minSilenceMs: Number.NaN }), refusal('minSilenceMs', Number.NaN))

  const o = resolveSupervisorOptions()
  t.ok(Object.isFrozen(o), 'frozen')
  t.same(o, { silenceFactor: 5, defaultIntervalMs: 1000, minSilenceMs: 10_000, outageShare: 0.5, outageMinDrones: 5, outageMaxMs: 120_000 })
  t.same(resolveSupervisorOptions({ silenceFactor: 3, minSilenceMs: 0 }).silenceFactor, 3, 'a given value is kept')
})

t.test('Engine: bad tunables, a bad drone profile and a bad supervisor option are refused under their paths', async (t) => {
  t.throws(() => new Engine({ ...base, supervisor: { silenceFactor: -2 } }), {
    ...refusal('supervisor.silenceFactor', -2),
    message: /^Engine option supervisor\.silenceFactor/,
  })
  t.throws(() => new Engine({ ...base, soonMs: -1 }), refusal('soonMs', -1))
  t.throws(() => new Engine({ ...base, arrivalRadiusM: 0 }), refusal('arrivalRadiusM', 0))
  t.throws(() => new Engine({ ...base, zoneClearanceM: Number.POSITIVE_INFINITY }), refusal('zoneClearanceM', Number.POSITIVE_INFINITY))
  t.throws(() => new Engine({ ...base, profile: { ...DEFAULT_PROFILE, handlingS: -30 } }), refusal('profile.handlingS', -30))
  t.throws(() => new Engine({ ...base, profile: { ...DEFAULT_PROFILE, reserve: 1 } }), refusal('profile.reserve', 1))
  t.throws(() => new Engine({ ...base, depots: [{ lat: 123, lon: 0 }] }), { code: 'DF_OPTION_INVALID', field: 'depots[0]' })

  const o = resolveEngineOptions(base)
  t.ok(Object.isFrozen(o), 'frozen')
  t.match(o, {
    arrivalRadiusM: 30,
    autoRegister: true,
    geofenceExitBandM: 30,
    zoneClearanceM: 60,
    soonMs: 600_000,
    zones: [],
    profile: DEFAULT_PROFILE,
  })
  t.ok(Object.isFrozen(o.supervisor), 'the nested supervisor options are frozen too')
  t.equal(o.supervisor.silenceFactor, 5)
  t.equal(o.wind, undefined, 'still air stays absent')
})

t.test('startMqttEngine, startGateway, startEmbeddedBroker refuse a bad option before opening anything', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const client = await connectAsync(broker.url)
  t.teardown(() => client.endAsync())

  await t.rejects(
    startMqttEngine({ mqtt: client, topics: T, profile: DEFAULT_PROFILE, depots: [], clockTickMs: -1 }),
    refusal('clockTickMs', -1),
  )
  await t.rejects(
    startMqttEngine({ mqtt: client, topics: T, profile: DEFAULT_PROFILE, depots: [], simClockQuietMs: Number.NaN }),
    refusal('simClockQuietMs', Number.NaN),
  )
  await t.rejects(
    startMqttEngine({ mqtt: client, topics: T, profile: DEFAULT_PROFILE, depots: [], supervisor: { silenceFactor: -1 } }),
    refusal('supervisor.silenceFactor', -1),
  )
  t.equal(client.listenerCount('message'), 0, 'nothing was subscribed to')

  const gw = {
    mqtt: client,
    topics: T,
    engine: engineView,
    httpPort: 0,
    wsPort: 0,
    apiKey: null,
    trackingSecret: Buffer.from('options test secret'),
    logger: false as const,
  }
  await t.rejects(startGateway({ ...gw, publishTimeoutMs: -5 }), refusal('publishTimeoutMs', -5))
  await t.rejects(startGateway({ ...gw, maxPendingRequests: 0 }), refusal('maxPendingRequests', 0))
  await t.rejects(startGateway({ ...gw, maxEngineLagMs: -1 }), refusal('maxEngineLagMs', -1))
  await t.rejects(startGateway({ ...gw, heartbeatMs: -1 }), refusal('heartbeatMs', -1))
  await t.rejects(startGateway({ ...gw, fleetIntervalMs: 0 }), refusal('fleetIntervalMs', 0))
  await t.rejects(startGateway({ ...gw, trackingTokenTtlS: 0 }), refusal('trackingTokenTtlS', 0))
  await t.rejects(startGateway({ ...gw, coalesceAboveBytes: 1.5 }), refusal('coalesceAboveBytes', 1.5))
  await t.rejects(startGateway({ ...gw, httpPort: 70_000 }), { ...refusal('httpPort', 70_000), message: /whole number 0\.\.65535/ })
  await t.rejects(startGateway({ ...gw, wsPort: -1 }), refusal('wsPort', -1))
  await t.rejects(startGateway({ ...gw, apiKey: '' }), refusal('apiKey', ''))
  t.equal(client.listenerCount('message'), 0, 'the gateway subscribed to nothing')

  await t.rejects(startEmbeddedBroker({ port: -1 }), refusal('port', -1))
  await t.rejects(startEmbeddedBroker({ port: 0, maxBufferedBytes: 0 }), refusal('maxBufferedBytes', 0))

  const m = resolveMqttEngineOptions({})
  t.ok(Object.isFrozen(m))
  t.match(m, { clockTickMs: 1000, simClockQuietMs: 5000 })
  t.equal(m.now, Date.now, 'the wall clock defaults to Date.now')
  t.equal(resolveMqttEngineOptions({ clockTickMs: 0 }).clockTickMs, 0, '0 turns the adapter clock off')
  const g = resolveGatewayOptions(gw)
  t.ok(Object.isFrozen(g))
  t.match(g, {
    host: '127.0.0.1',
    trackingTokenTtlS: 86_400,
    publishTimeoutMs: 5000,
    maxPendingRequests: 1000,
    maxEngineLagMs: 5000,
    heartbeatMs: 30_000,
    fleetIntervalMs: 1000,
    coalesceAboveBytes: 65_536,
    httpPort: 0,
    wsPort: 0,
  })
  t.equal(g.now, Date.now)
  t.equal(g.mqtt, client, 'what it does not check passes through')
  const b = resolveEmbeddedBrokerOptions({ port: 0 })
  t.ok(Object.isFrozen(b))
  t.same(b, { port: 0, host: '127.0.0.1', flag: '--mqtt-port', maxBufferedBytes: 4 * 1024 * 1024 })
})

t.test('Simulator and load test: bad options are refused before workers or connections start', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const client = await connectAsync(broker.url)
  t.teardown(() => client.endAsync())
  const sim = { scenario, mqtt: client, topics: T, submit: async () => 'del-x', workers: 1 }
  t.throws(() => new Simulator({ ...sim, workers: 0 }), refusal('workers', 0))
  t.throws(() => new Simulator({ ...sim, engineTimeoutMs: -1 }), refusal('engineTimeoutMs', -1))
  t.throws(() => new Simulator({ ...sim, speed: 0 }), refusal('speed', 0))
  const s = resolveSimulatorOptions(sim)
  t.ok(Object.isFrozen(s))
  t.match(s, { workers: 1, speed: scenario.speed, engineTimeoutMs: 15_000 })
  t.equal(s.wall, systemWall)

  const load: LoadOptions = {
    phases: [{ rate: 10, durationS: 1 }],
    drones: 10,
    connections: 1,
    format: 'json',
    batchSize: 10,
    lingerMs: 5,
    qos: 0,
    window: 10,
    wsClients: 0,
    logger: pino({ level: 'silent' }),
    connect: () => Promise.reject(new Error('must not connect')),
  }
  await t.rejects(runLoad({ ...load, connections: 0 }), refusal('connections', 0))
  await t.rejects(runLoad({ ...load, wsClients: 11 }), { ...refusal('wsClients', 11), message: /0\.\.10/ })
  await t.rejects(runLoad({ ...load, warmupS: -1 }), refusal('warmupS', -1))
  const l = resolveLoadOptions(load)
  t.ok(Object.isFrozen(l))
  t.equal(l.warmupS, 0, 'no warm-up unless asked')
})
