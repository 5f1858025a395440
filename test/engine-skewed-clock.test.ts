import { connectAsync, type MqttClient } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startMqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { decodeDeliveryEvent } from '../protocol/decodeDeliveryEvent.js'
import type { DeliveryEvent } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics } from '../protocol/topics.js'
import { DEPOT, offset, until } from './engine-harness.js'

const T = topics('skew-test')

/** A drone on its own connection reporting every 250 ms, its event time its clock: ours plus `skewMs`, plus a one-off `spikeMs` on its next sample. */
class Drone {
  seq = 0
  skewMs = 0
  spikeMs = 0
  private timer: NodeJS.Timeout | undefined
  constructor(
    readonly id: string,
    readonly client: MqttClient,
    readonly at: LatLon,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const ts = Date.now() + this.skewMs + this.spikeMs
      this.spikeMs = 0
      const s = {
        droneId: this.id,
        seq: ++this.seq,
        ts,
        lat: this.at.lat,
        lon: this.at.lon,
        alt: 0,
        speed: 0,
        heading: 0,
        battery: 1,
        state: 'idle',
      }
      this.client.publish(T.telemetry(this.id), JSON.stringify(s), { qos: 0 })
    }, 250)
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

t.test("over a real broker: one drone's clock, spiked or steadily ahead, neither takes the fleet out nor stops assignments", async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const clients = await Promise.all(Array.from({ length: 8 }, () => connectAsync(broker.url)))
  t.teardown(async () => {
    for (const c of clients) await c.endAsync()
  })
  const [engineClient, observer, ...droneClients] = clients as [MqttClient, MqttClient, ...MqttClient[]]

  const events: DeliveryEvent[] = []
  observer.on('message', (_topic, payload) => {
    const e = decodeDeliveryEvent(payload)
    if (e) events.push(e)
  })
  await observer.subscribeAsync({ [T.deliveryEventsAll]: { qos: 1 } })

  // No simulator: the adapter's own clock drives the supervisor (every 100 ms here). A 4 s floor: a stall of this busy test process is not a loss.
  const e = await startMqttEngine({
    mqtt: engineClient,
    topics: T,
    profile: DEFAULT_PROFILE,
    depots: [DEPOT],
    clockTickMs: 100,
    supervisor: { minSilenceMs: 4000 },
  })
  t.teardown(() => e.close())
  const stats = () => e.engine.stats()
  const future = () => stats().telemetryRejected.future ?? 0

  const honest = [0, 1, 2, 3].map((k) => new Drone(`h-${k}`, droneClients[k] as MqttClient, offset(DEPOT, 300 * k, 200)))
  const spiky = new Drone('spiky', droneClients[4] as MqttClient, offset(DEPOT, 0, 1500))
  const fleet = [...honest, spiky]
  t.teardown(() => {
    for (const d of fleet) d.stop()
  })
  for (const d of fleet) d.start()
  await until(() => (fleet.every((d) => (e.engine.drone(d.id)?.seq ?? 0) >= 3) ? true : undefined), 10_000, 'every drone reporting')

  // One sample 180 s ahead: refused and counted, the clock does not move.
  spiky.spikeMs = 180_000
  const spikeAt = Date.now()
  await until(
    () => (future() > 0 || (e.engine.drone('spiky')?.lastSeen ?? 0) > spikeAt + 60_000 ? true : undefined),
    10_000,
    'the spiked sample processed',
  )
  t.equal(future(), 1, 'the sample 180 s ahead is rejected as future')
  t.ok(e.engine.now < Date.now() + 10_000, "the engine's clock did not jump")

  const assigned = async (id: string, pickup: LatLon): Promise<DeliveryEvent | undefined> => {
    await observer.publishAsync(
      T.requests,
      JSON.stringify({ type: 'CreateDelivery', id, pickup, dropoff: offset(pickup, 800, 0), weightKg: 1, deadline: null }),
      { qos: 1 },
    )
    const found = await until(
      () => events.find((ev) => ev.deliveryId === id && ev.type === 'DroneAssigned') ?? (stats().dronesLost ? null : undefined),
      10_000,
      `${id} assigned`,
    )
    return found ?? undefined
  }
  t.match(await assigned('del-1', offset(DEPOT, 0, 200)), { type: 'DroneAssigned', droneId: 'h-0' }, 'a delivery is still assigned')
  t.equal(stats().dronesLost, 0, 'nobody honest lost')

  // A drone whose clock is steadily 90 s ahead joins: tracked in the fleet's time, its samples taken, assignable.
  const ahead = new Drone('ahead', droneClients[5] as MqttClient, offset(DEPOT, 5000, 0))
  ahead.skewMs = 90_000
  fleet.push(ahead)
  ahead.start()
  await until(
    () => ((e.engine.drone('ahead')?.seq ?? 0) >= 5 || stats().dronesLost ? true : undefined),
    10_000,
    'the drone ahead reporting',
  )
  t.ok(Math.abs((e.engine.drone('ahead')?.lastSeen ?? 0) - Date.now()) < 10_000, "its samples are moved into the fleet's time")
  t.ok(e.engine.now < Date.now() + 10_000, "the engine's clock did not follow it")
  t.match(
    await assigned('del-2', offset(DEPOT, 5000, 100)),
    { type: 'DroneAssigned', droneId: 'ahead' },
    'the drone ahead is assigned what is nearest it',
  )

  // Well past the loss limit in the engine's own clock, everyone who kept reporting is still there.
  const from = e.engine.now
  await until(() => (e.engine.now > from + 6000 || stats().dronesLost ? true : undefined), 20_000, 'six seconds of event time')
  t.equal(stats().dronesLost, 0, 'no drone that keeps reporting is lost')
  t.same(
    e.engine
      .drones()
      .filter((d) => d.lost)
      .map((d) => d.id),
    [],
  )
  t.equal(future(), 1, 'only the spiked sample was refused')
  t.notOk(events.some((ev) => ev.type === 'DroneLost'))
})
