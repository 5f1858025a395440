import { connectAsync } from 'mqtt'
import t, { type Test } from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startMqttEngine } from '../engine/mqtt/startMqttEngine.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics } from '../protocol/topics.js'
import { MemoryStore } from '../store/MemoryStore.js'
import type { LoggedEvent, Writer } from '../store/Store.js'
import { DEPOT, offset, T0, until } from './engine-harness.js'

const T = topics('outbox-test')

/** A memory store that remembers which events it committed (their append resolved), in order. */
class WatchedStore extends MemoryStore {
  readonly committed: string[] = []
  readonly states = new Map<string, string>()
  override async append(writer: Writer, event: DeliveryEvent, engineState?: string): Promise<LoggedEvent> {
    const logged = await super.append(writer, event, engineState)
    this.committed.push(`${event.deliveryId}#${logged.seq}`)
    if (engineState !== undefined) this.states.set(event.deliveryId, engineState)
    return logged
  }
}

async function setup(t: Test, store: WatchedStore) {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const engineClient = await connectAsync(broker.url)
  const watcher = await connectAsync(broker.url)
  t.teardown(async () => {
    await engineClient.endAsync()
    await watcher.endAsync()
  })
  const seen: Array<{ kind: 'event' | 'command'; body: Record<string, unknown>; committed: boolean }> = []
  watcher.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as Record<string, unknown>
    const kind = topic.startsWith(T.commands('')) ? 'command' : 'event'
    seen.push({ kind, body, committed: kind === 'event' && store.committed.includes(`${String(body.deliveryId)}#${String(body.seq)}`) })
  })
  await watcher.subscribeAsync({ [T.deliveryEventsAll]: { qos: 1 }, [T.commandsAll]: { qos: 1 } })
  const e = await startMqttEngine({
    mqtt: engineClient,
    topics: T,
    profile: DEFAULT_PROFILE,
    depots: [DEPOT],
    store,
    clockTickMs: 0,
    lagProbeMs: 0,
    storeSweepMs: 0,
  })
  t.teardown(() => e.close())
  const drone = { droneId: 'd-1', seq: 1, ts: T0, lat: DEPOT.lat, lon: DEPOT.lon, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' }
  await watcher.publishAsync(T.telemetry('d-1'), JSON.stringify(drone))
  await until(() => e.engine.has('d-1') || undefined, 5000, 'the drone registered')
  const create = (id: string) =>
    watcher.publishAsync(
      T.requests,
      JSON.stringify({
        type: 'CreateDelivery',
        id,
        pickup: offset(DEPOT, 500, 0),
        dropoff: offset(DEPOT, 1500, 500),
        weightKg: 1,
        deadline: null,
      }),
      { qos: 1 },
    )
  return { e, seen, create, watcher }
}

t.test(
  'with a store, events are committed before they are published, carry their seq, and the commands they explain follow them',
  async (t) => {
    const store = new WatchedStore()
    const { e, seen, create } = await setup(t, store)
    await create('del-1')
    await until(() => (seen.some((s) => s.kind === 'command') ? true : undefined), 5000, 'the assignment')
    await e.store?.drained()
    const events = seen.filter((s) => s.kind === 'event')
    t.same(
      events.map((s) => [s.body.type, s.body.seq]),
      [
        ['DeliveryCreated', 1],
        ['DroneAssigned', 2],
      ],
      'both events, numbered by the store',
    )
    t.ok(
      events.every((s) => s.committed),
      'each was committed before it reached the broker',
    )
    t.same(
      seen.map((s) => s.kind),
      ['event', 'event', 'command'],
      'the AssignDelivery after the events that explain it',
    )
    t.same(await store.unpublished(), [], 'and they left the outbox')
    const state = JSON.parse(store.states.get('del-1') ?? 'null') as { record: { status: string; droneId: string } }
    t.match(state.record, { status: 'HeadedToPickup', droneId: 'd-1' }, "the engine state went with the turn's last event")
    const open = await store.openDeliveries()
    t.equal(open[0]?.engineState, store.states.get('del-1'), 'and is what recovery reads')
  },
)

t.test('fenced by another engine taking the region, the engine publishes nothing more', async (t) => {
  const store = new WatchedStore()
  const { e, seen, create } = await setup(t, store)
  t.equal(e.store?.fenced(), false)
  await store.claimEpoch('default')
  await create('del-2')
  await until(() => e.store?.fenced() || undefined, 5000, 'fenced')
  await e.store?.drained()
  await create('del-3')
  await until(() => e.engine.delivery('del-3') ?? undefined, 5000, 'the engine decided on del-3')
  await new Promise((r) => setImmediate(r))
  await e.store?.drained()
  t.same(seen, [], 'neither events nor commands went out')
  t.same(store.committed, [], 'and nothing was logged')
})
