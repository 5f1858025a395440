import { connectAsync, type MqttClient } from 'mqtt'
import t from 'tap'
import { startMqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { decodeCommand, type DroneCommand } from '../protocol/commands.js'
import { decodeDeliveryEvent } from '../protocol/decodeDeliveryEvent.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics } from '../protocol/topics.js'
import { DEPOT, offset, until } from './engine-harness.js'

const T = topics('supervisor-test')
const PICKUP = offset(DEPOT, 500, 0)
const DROPOFF = offset(PICKUP, 800, 0)

/** A drone on its own MQTT connection that reports at a fixed rate with wall-clock event time, until paused. */
class Drone {
  seq = 0
  paused = false
  private timer: NodeJS.Timeout | undefined
  constructor(
    readonly id: string,
    readonly client: MqttClient,
    public at: { lat: number; lon: number },
    public state = 'idle',
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.paused) return
      const s = {
        droneId: this.id,
        seq: ++this.seq,
        ts: Date.now(),
        lat: this.at.lat,
        lon: this.at.lon,
        alt: this.state === 'idle' ? 0 : 60,
        speed: 0,
        heading: 0,
        battery: 1,
        state: this.state,
      }
      this.client.publish(T.telemetry(this.id), JSON.stringify(s), { qos: 0 })
    }, everyMs)
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

t.test('over a real broker: a drone that goes silent is lost and its delivery reassigned; back, it is sent home', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const clients = await Promise.all([0, 1, 2, 3].map(() => connectAsync(broker.url)))
  t.teardown(async () => {
    for (const c of clients) await c.endAsync()
  })
  const [engineClient, observer, a, b] = clients as [MqttClient, MqttClient, MqttClient, MqttClient]

  const events: DeliveryEvent[] = []
  const commands: DroneCommand[] = []
  observer.on('message', (topic, payload) => {
    if (topic.includes('/commands/')) {
      const c = decodeCommand(payload)
      if (c) commands.push(c)
    } else {
      const e = decodeDeliveryEvent(payload)
      if (e) events.push(e)
    }
  })
  await observer.subscribeAsync({ [T.deliveryEventsAll]: { qos: 1 }, [T.commandsAll]: { qos: 1 } })

  // No simulator: the adapter's own clock (ticking every 50 ms here) must notice the silence.
  // 3 intervals and no floor (the defaults wait at least 10 s): what is tested here is the adapter's clock, not the limit.
  const e = await startMqttEngine({
    mqtt: engineClient,
    topics: T,
    profile: DEFAULT_PROFILE,
    depots: [DEPOT],
    clockTickMs: 50,
    supervisor: { silenceFactor: 3, minSilenceMs: 0 },
  })
  t.teardown(() => e.close())
  const near = new Drone('near', a, offset(PICKUP, 0, 100))
  const far = new Drone('far', b, offset(PICKUP, 0, 700))
  t.teardown(() => {
    near.stop()
    far.stop()
  })
  // 250 ms: the loss limit (750 ms) stays well above any stall of this busy test process.
  near.start(250)
  far.start(250)
  await until(
    () => (e.engine.drones().length === 2 && e.engine.drones().every((d) => d.seq >= 3) ? true : undefined),
    10_000,
    'both drones reporting',
  )

  await observer.publishAsync(
    T.requests,
    JSON.stringify({ type: 'CreateDelivery', id: 'del-1', pickup: PICKUP, dropoff: DROPOFF, weightKg: 1, deadline: null }),
    { qos: 1 },
  )
  await until(() => commands.find((c) => c.type === 'AssignDelivery' && c.deliveryId === 'del-1'), 10_000, 'the assignment')
  t.match(commands[0], { type: 'AssignDelivery', droneId: 'near' })
  near.state = 'cruise'

  // The assigned drone falls silent; after 3 x 250 ms of event time it is lost.
  near.paused = true
  const reassigned = await until(() => events.find((ev) => ev.type === 'DeliveryReassigned'), 10_000, 'DeliveryReassigned')
  t.match(reassigned, { deliveryId: 'del-1', fromDroneId: 'near', toDroneId: 'far' })
  t.same(
    events.map((ev) => ev.type),
    ['DeliveryCreated', 'DroneAssigned', 'DroneLost', 'DeliveryReassigned'],
  )
  await until(() => commands.find((c) => c.type === 'AssignDelivery' && c.droneId === 'far'), 10_000, 'the new mission')
  t.match(e.engine.drone('near'), { lost: true, deliveryId: null })
  t.match(e.engine.stats(), { dronesLost: 1, reassignments: 1 })

  // It comes back still flying: reconciled and sent home, the delivery stays with the other drone.
  near.paused = false
  const home = await until(
    () => commands.find((c) => c.type === 'ReturnToDepot' && c.droneId === 'near'),
    10_000,
    'ReturnToDepot for the returning drone',
  )
  t.match(home, { depot: DEPOT })
  t.match(e.engine.drone('near'), { lost: false, deliveryId: null })
  t.match(e.engine.delivery('del-1'), { status: 'HeadedToPickup', droneId: 'far' })
  t.equal(e.engine.stats().dronesReconciled, 1)
  t.equal(commands.filter((c) => c.type === 'AssignDelivery').length, 2, 'exactly two assignments: never a third, never to both')
})

t.test('while a simulator clock drives event time, the adapter does not advance it itself', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const [engineClient, sim] = await Promise.all([connectAsync(broker.url), connectAsync(broker.url)])
  t.teardown(async () => {
    await engineClient.endAsync()
    await sim.endAsync()
  })
  const e = await startMqttEngine({
    mqtt: engineClient,
    topics: T,
    profile: DEFAULT_PROFILE,
    depots: [DEPOT],
    clockTickMs: 20,
    supervisor: { silenceFactor: 3, minSilenceMs: 0 },
  })
  t.teardown(() => e.close())
  const t0 = 1_763_700_000_000
  await sim.publishAsync(T.simClock, JSON.stringify({ t: t0 }), { qos: 1 })
  await sim.publishAsync(
    T.telemetry('d-1'),
    JSON.stringify({
      droneId: 'd-1',
      seq: 1,
      ts: t0,
      lat: DEPOT.lat,
      lon: DEPOT.lon,
      alt: 0,
      speed: 0,
      heading: 0,
      battery: 1,
      state: 'idle',
    }),
  )
  await until(() => (e.engine.drone('d-1') ? true : undefined))
  // A paused simulator (waiting in lockstep) sends nothing; wall time passes.
  await new Promise((r) => setTimeout(r, 300))
  t.equal(e.engine.now, t0, 'event time stays where the simulator left it')
  t.equal(e.engine.drone('d-1')?.lost, false)
})
