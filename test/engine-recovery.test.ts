import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { FleetLearning } from '../engine/FleetLearning.js'
import type { LearnedState } from '../engine/LearnedState.js'
import { startMqttEngine, type MqttEngine } from '../engine/mqtt/startMqttEngine.js'
import type { DroneCommand } from '../protocol/commands.js'
import { isTerminal, type DeliveryEvent } from '../protocol/events.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics } from '../protocol/topics.js'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { Simulator } from '../sim/Simulator.js'
import { openStore } from '../store/openStore.js'
import type { DeliveryOrder } from '../store/Store.js'
import { flownSamples } from './helpers/flownSamples.js'
import { quietScenario, until } from './helpers/service.js'
import { offset } from './helpers/offset.js'

const T = topics('recovery-test')
const HUB = { lat: 47.61, lon: -122.33 }

t.test('an engine that dies mid-flight is replaced by one on the same store: every delivery ends, none flown by two drones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'df-recovery-'))
  const store = await openStore(dir)
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const clients: MqttClient[] = []
  const connect = async (): Promise<MqttClient> => {
    const c = await connectAsync(broker.url)
    clients.push(c)
    return c
  }
  t.teardown(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
  })
  const scenario = quietScenario()

  // What reaches the broker: events (skipping repeats as consumers do) and commands.
  const watcher = await connect()
  const events = new Map<string, DeliveryEvent[]>()
  const assigned = new Map<string, Set<string>>()
  let repeats = 0
  watcher.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as (DeliveryEvent & { seq?: number }) | DroneCommand
    if (topic.startsWith(T.commands(''))) {
      const c = body as DroneCommand
      if (c.type === 'AssignDelivery') assigned.set(c.deliveryId, (assigned.get(c.deliveryId) ?? new Set()).add(c.droneId))
      return
    }
    const e = body as DeliveryEvent & { seq?: number }
    const list = events.get(e.deliveryId) ?? []
    if (e.seq !== undefined && e.seq <= list.length) {
      repeats++
      return
    }
    list.push(e)
    events.set(e.deliveryId, list)
  })
  await watcher.subscribeAsync({ [T.deliveryEventsAll]: { qos: 1 }, [T.commandsAll]: { qos: 1 } })

  const startEngine = async (storeSweepMs: number): Promise<MqttEngine> =>
    startMqttEngine({ mqtt: await connect(), topics: T, ...scenarioEngineOptions(scenario), store, lagProbeMs: 0, storeSweepMs })
  // The first engine does not sweep: the delivery whose request was lost is left to the next start.
  const first = await startEngine(0)
  const firstClient = clients[clients.length - 1]!

  const simClient = await connect()
  const stop = new AbortController()
  const sim = new Simulator({
    scenario,
    mqtt: simClient,
    topics: T,
    workers: 1,
    signal: stop.signal,
    submit: () => Promise.reject(new Error('this scenario makes no demand')),
  })
  const flying = sim.run()
  t.teardown(async () => {
    stop.abort()
    await flying.catch(() => undefined)
    await sim.close()
  })
  await until(() => (first.engine.drones().length === 3 ? true : undefined), 10_000, 'three drones report')

  // Five deliveries for three drones: some wait for a drone; as the gateway does, each is accepted, then requested.
  const ids = ['r-1', 'r-2', 'r-3', 'r-4', 'r-5']
  for (const [k, id] of ids.entries()) {
    const order: DeliveryOrder = {
      id,
      pickup: offset(HUB, 300 + 100 * k, 200),
      dropoff: offset(HUB, 1200, -600 + 300 * k),
      weightKg: 1,
      deadline: null,
    }
    await store.accept({ order, idempotencyKey: null, fingerprint: id })
    // The last one never reaches the broker: a start (or the sweep) must find it in the store.
    if (k < 4) await watcher.publishAsync(T.requests, JSON.stringify({ type: 'CreateDelivery', ...order }), { qos: 1 })
  }
  // A sixth, waiting behind the others, that the customer cancels while no engine listens.
  const cancelled: DeliveryOrder = { id: 'r-6', pickup: offset(HUB, 900, 200), dropoff: offset(HUB, 1500, 0), weightKg: 1, deadline: null }
  await store.accept({ order: cancelled, idempotencyKey: null, fingerprint: 'r-6' })
  await watcher.publishAsync(T.requests, JSON.stringify({ type: 'CreateDelivery', ...cancelled }), { qos: 1 })
  await until(async () => ((await store.get('r-6'))?.seq ?? 0) > 0 || undefined, 10_000, 'r-6 created by the first engine')
  await until(
    () => (ids.slice(0, 4).some((id) => first.engine.delivery(id)?.status === 'HeadedToDropoff') ? true : undefined),
    30_000,
    'a package aboard',
  )

  // The crash: the first engine's link is cut; nothing it decides from now on reaches the broker.
  firstClient.end(true)
  // The gateway commits a cancel (and answers 202) whose message is lost: the store has it.
  t.equal((await store.requestChange('r-6', { cancel: 'the customer changed their mind' }))?.kind, 'requested', 'a cancel committed')
  const second = await startEngine(200)
  t.teardown(() => second.close())
  t.teardown(() => first.close())
  const recovery = second.store?.recovery
  t.ok(recovery && recovery.restored >= 3, `open deliveries restored (${JSON.stringify(recovery)})`)
  t.equal(recovery?.created, 1, 'the delivery accepted but never requested is created at start')
  t.equal(first.engine.delivery('r-5'), undefined, 'which the first engine never knew')

  const ended = await until(
    async () => {
      const all = await Promise.all(ids.map((id) => store.get(id)))
      return all.every((d) => d && isTerminal(d.status)) ? all : undefined
    },
    60_000,
    'every delivery ended',
  )
  t.same(
    ended.map((d) => d?.status),
    ids.map(() => 'Completed'),
    'every delivery completed',
  )
  const r6 = await until(
    async () => {
      const d = await store.get('r-6')
      return d && isTerminal(d.status) ? d : undefined
    },
    30_000,
    'r-6 ended',
  )
  t.equal(r6.status, 'Cancelled', 'the cancel committed while no engine listened was applied by the next one')
  t.match(r6.history.at(-1), { type: 'DeliveryCancelled', reason: 'the customer changed their mind' })
  for (const id of ids) {
    t.equal(assigned.get(id)?.size, 1, `${id} was sent to one drone only (${[...(assigned.get(id) ?? [])].join(', ')})`)
    const history = (await store.get(id))?.history.map((e) => e.type) ?? []
    t.same(
      history.filter((h) => h === 'DroneAssigned' || h === 'DeliveryReassigned'),
      ['DroneAssigned'],
      `${id}: one assignment in the log`,
    )
  }
  await until(
    () => (ids.every((id) => events.get(id)?.at(-1)?.type === 'DeliveryCompleted') ? true : undefined),
    10_000,
    'consumers saw every completion',
  )
  t.ok(second.store?.fenced() === false, 'the new engine holds the region')
  t.comment(`events published again and skipped by seq: ${repeats}`)
})

t.test('what an engine learned is saved in the store, and the next engine on it starts from there', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'df-learned-'))
  const store = await openStore(dir)
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const scenario = quietScenario()
  const start = async (learnedSaveMs: number): Promise<MqttEngine> => {
    const mqtt = await connectAsync(broker.url)
    t.teardown(() => mqtt.endAsync(true).catch(() => undefined))
    return startMqttEngine({ mqtt, topics: T, ...scenarioEngineOptions(scenario), store, lagProbeMs: 0, storeSweepMs: 0, learnedSaveMs })
  }
  // What a fleet flown by the simulator's physics in a 7 m/s wind taught a learner.
  const learner = new FleetLearning(DEFAULT_PROFILE)
  const flown = flownSamples(
    HUB,
    [
      { speedFactor: 1.1, health: 0.9 },
      { speedFactor: 0.95, health: 1 },
    ],
    () => ({ eastMps: 5, northMps: -5 }),
    {
      t0: 1_767_618_000_000,
      seconds: 900,
    },
  )
  for (const s of flown) learner.observe(s, s.courseDeg, s.payloadKg)
  const taught = JSON.parse(JSON.stringify(learner.save())) as LearnedState
  t.ok(taught.wind.windy && taught.factors.drones.length === 2, 'a wind and two drones learned')

  const first = await start(50)
  t.equal(first.store?.recovery.learned, false, 'a first start on an empty store has nothing to take back')
  first.engine.restoreLearned(taught)
  const saved = await until(
    async () => {
      const s = await store.learned(T.region)
      return s && (JSON.parse(s) as LearnedState).wind.windy ? s : undefined
    },
    10_000,
    'the engine saves what it learned now and then',
  )
  t.same(JSON.parse(saved), taught, 'as it is')
  await first.close()

  const second = await start(0)
  t.teardown(() => second.close())
  t.equal(second.store?.recovery.learned, true, 'the next engine took it back at start')
  t.same(second.engine.learned(), taught, 'all of it')
})
