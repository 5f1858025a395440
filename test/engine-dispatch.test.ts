import t from 'tap'
import { DEPOT, Flight, harness, offset, S, T0 } from './engine-harness.js'

const PICKUP = offset(DEPOT, 1000, 0)
const DROPOFF = offset(PICKUP, 1000, 0)

/** A drone `busy` flying del-1 (from DEPOT to PICKUP, then to DROPOFF), stopped `leftM` before its drop-off. */
function busyNearDropoff(h: ReturnType<typeof harness>, leftM: number): Flight {
  h.send('busy', T0, DEPOT, 'idle', { battery: 0.95 })
  h.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(h, 'busy', DEPOT, T0)
  f.takeoff()
  f.cruise(PICKUP)
  f.land()
  f.hover(31)
  f.takeoff()
  f.cruise(offset(DROPOFF, -leftM, 0))
  return f
}

t.test('"soonest": a drone about to release its package next to the pickup is promised the delivery over a far idle one', async (t) => {
  const h = harness()
  const f = busyNearDropoff(h, 150)
  h.send('far-idle', f.ts, offset(DROPOFF, 0, 6000))
  const next = offset(DROPOFF, 0, 300)
  h.create('del-2', next, offset(next, 800, 0))
  t.match(h.events.at(-1), { type: 'DroneAssigned', deliveryId: 'del-2', droneId: 'busy' })
  t.match(h.engine.drone('busy'), { deliveryId: 'del-1', nextDeliveryId: 'del-2' })
  const n = h.commands.length
  t.notOk(
    h.commands.some((c) => c.type === 'AssignDelivery' && c.deliveryId === 'del-2'),
    'no command yet: it is still flying del-1',
  )

  // It releases del-1; the promised mission starts at once.
  f.cruise(DROPOFF)
  f.land()
  f.hover(31)
  t.equal(h.engine.delivery('del-1')?.status, 'Completed')
  t.match(h.commands.slice(n), [{ type: 'AssignDelivery', droneId: 'busy', deliveryId: 'del-2', pickup: next }])
  t.match(h.engine.drone('busy'), { deliveryId: 'del-2', nextDeliveryId: null })
  t.equal(h.engine.drone('far-idle')?.deliveryId, null)
})

t.test('an idle drone that can be at the pickup sooner wins over a finishing one', async (t) => {
  const h = harness()
  const f = busyNearDropoff(h, 900) // a minute from its drop-off, and 30 s of handling
  const next = offset(DROPOFF, 0, 300)
  h.send('idle-near', f.ts, offset(next, 0, 200))
  h.create('del-2', next, offset(next, 800, 0))
  t.match(h.events.at(-1), { type: 'DroneAssigned', droneId: 'idle-near' })
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'idle-near', deliveryId: 'del-2' })
})

t.test('a drone too far from releasing its package is not promised anything', async (t) => {
  const h = harness({ soonMs: 30_000 })
  const f = busyNearDropoff(h, 900)
  const next = offset(DROPOFF, 0, 300)
  h.create('del-2', next, offset(next, 800, 0))
  t.equal(h.engine.delivery('del-2')?.status, 'Created', 'it waits in the queue')
  t.equal(h.engine.drone('busy')?.nextDeliveryId, null)
  void f
})

t.test('cancelling a promised delivery frees the promise without a command', async (t) => {
  const h = harness()
  const f = busyNearDropoff(h, 150)
  const next = offset(DROPOFF, 0, 300)
  h.create('del-2', next, offset(next, 800, 0))
  const n = h.commands.length
  h.cancel('del-2')
  t.equal(h.engine.drone('busy')?.nextDeliveryId, null)
  t.equal(h.commands.length, n)
  // It can be promised another.
  h.create('del-3', next, offset(next, 800, 0))
  t.match(h.events.at(-1), { type: 'DroneAssigned', deliveryId: 'del-3', droneId: 'busy' })
  void f
})

t.test('a retried request never gets two drones, even when the first one is lost and another took over', async (t) => {
  const h = harness()
  h.send('a', T0, offset(PICKUP, 0, 100))
  h.send('b', T0, offset(PICKUP, 0, 300))
  h.create('del-1', PICKUP, DROPOFF)
  h.send('a', T0 + S, offset(PICKUP, 0, 100), 'failed')
  h.create('del-1', PICKUP, DROPOFF)
  t.equal(h.commands.filter((c) => c.type === 'AssignDelivery').length, 2, 'a, then b; the retry adds nothing')
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost', 'DeliveryReassigned'])
})

t.test('cancel after pickup: the package flies back to the depot nearest the drone, named in the event', async (t) => {
  const other = offset(DEPOT, 3000, 0)
  const h = harness({ depots: [DEPOT, other] })
  h.send('d-1', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, offset(PICKUP, 1500, 0))
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(PICKUP)
  f.land()
  f.hover(31)
  f.takeoff()
  f.cruise(offset(PICKUP, 1200, 0)) // now nearer the other depot
  h.cancel('del-1', 'recipient moved')
  t.match(h.events.at(-1), { type: 'DeliveryCancelled', reason: 'recipient moved', packageReturnsTo: other })
  t.match(h.commands.at(-1), { type: 'ReturnToDepot', droneId: 'd-1', depot: other })
  t.equal(h.engine.drone('d-1')?.deliveryId, null)
})

t.test('a promised drone whose package is cancelled flies it home first, then starts its promised delivery', async (t) => {
  const h = harness()
  const f = busyNearDropoff(h, 150)
  const next = offset(DROPOFF, 0, 300)
  h.create('del-2', next, offset(next, 800, 0))
  h.cancel('del-1')
  t.match(h.commands.at(-1), { type: 'ReturnToDepot', droneId: 'busy' })
  t.equal(h.engine.drone('busy')?.nextDeliveryId, 'del-2', 'the promise stands')
  f.cruise(DEPOT, 'returning')
  f.land()
  f.state('idle')
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'busy', deliveryId: 'del-2' })
})

t.test('nearest-feasible at scale: among 2,000 idle drones the nearest that can fly it is chosen', async (t) => {
  const h = harness()
  for (let i = 0; i < 2000; i++)
    h.send(`d-${i}`, T0, offset(DEPOT, (i % 50) * 200 - 5000, Math.floor(i / 50) * 200 - 4000), 'idle', { battery: i === 1275 ? 0.25 : 1 })
  // d-1275 sits exactly at (0 m, 1000 m)... but cannot fly; its neighbours at 200 m can.
  const pickup = offset(DEPOT, 0, 1000)
  h.create('del-1', pickup, offset(pickup, 1000, 0))
  const cmd = h.commands[0]
  t.ok(cmd && ['d-1274', 'd-1276', 'd-1225', 'd-1325'].includes(cmd.droneId), `a 200 m neighbour: ${cmd?.droneId}`)
})

t.test('telemetry hygiene: duplicates, out-of-order samples and unknown drones are counted apart', async (t) => {
  const h = harness({ autoRegister: false })
  t.equal(h.send('ghost', T0, DEPOT), false)
  const h2 = harness()
  h2.send('d-1', T0, DEPOT, 'idle', { seq: 5 })
  h2.send('d-1', T0, DEPOT, 'idle', { seq: 5 })
  h2.send('d-1', T0, DEPOT, 'idle', { seq: 4 })
  h2.send('d-1', T0, DEPOT, 'idle', { seq: 3 })
  t.match(h.engine.stats(), { telemetryUnknownDrone: 1, telemetryReceived: 1 })
  t.match(h2.engine.stats(), { telemetryDuplicate: 1, telemetryOutOfOrder: 2, telemetryStale: 3, telemetryReceived: 4 })
})

t.test('dronesNear answers from the index, nearest first, with distances', async (t) => {
  const h = harness()
  h.send('n100', T0, offset(DEPOT, 100, 0))
  h.send('e250', T0, offset(DEPOT, 0, 250))
  h.send('far', T0, offset(DEPOT, 5000, 0))
  t.same(
    h.engine.dronesNear(DEPOT.lat, DEPOT.lon, 300).map((d) => [d.id, d.distanceM]),
    [
      ['n100', 100],
      ['e250', 250],
    ],
  )
  t.same(h.engine.dronesNear(DEPOT.lat, DEPOT.lon, 50), [])
})

t.test('a drone that refuses its delivery hands it to another drone, or the delivery fails with the reason', async (t) => {
  const h = harness()
  h.send('a', T0, offset(PICKUP, 0, 100))
  h.send('b', T0, offset(PICKUP, 0, 600))
  h.create('del-1', PICKUP, DROPOFF)
  t.match(h.commands[0], { droneId: 'a' })
  h.engine.handleTelemetry({
    droneId: 'a',
    seq: 10,
    ts: T0 + S,
    lat: PICKUP.lat,
    lon: PICKUP.lon + 0.001,
    alt: 0,
    speed: 0,
    heading: 0,
    battery: 1,
    state: 'idle',
    refused: 'del-1',
  })
  t.match(h.events.at(-1), { type: 'DeliveryReassigned', fromDroneId: 'a', toDroneId: 'b' })
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'b', deliveryId: 'del-1' })
  t.equal(h.engine.drone('a')?.deliveryId, null)
  // Refusing again, or refusing someone else's delivery, changes nothing.
  const n = h.events.length
  h.engine.handleTelemetry({
    droneId: 'a',
    seq: 11,
    ts: T0 + 2 * S,
    lat: PICKUP.lat,
    lon: PICKUP.lon + 0.001,
    alt: 0,
    speed: 0,
    heading: 0,
    battery: 1,
    state: 'idle',
    refused: 'del-1',
  })
  t.equal(h.events.length, n)
  // With nobody else, it fails with the reason.
  h.engine.handleTelemetry({
    droneId: 'b',
    seq: 10,
    ts: T0 + 3 * S,
    lat: PICKUP.lat,
    lon: PICKUP.lon,
    alt: 0,
    speed: 0,
    heading: 0,
    battery: 1,
    state: 'idle',
    refused: 'del-1',
  })
  const last = h.events.at(-1)
  t.ok(
    last?.type === 'DeliveryFailed' && /drone b refused it/.test(last.reason),
    last?.type === 'DeliveryFailed' ? last.reason : String(last?.type),
  )
  t.equal(h.commands.filter((c) => c.type === 'AssignDelivery').length, 2, 'not offered back to a, who refused it')
})

t.test('at a hub where most drones are still charging, a charged drone at the same spot takes the delivery at once', async (t) => {
  const h = harness()
  // More drained drones than the dispatcher weighs per request, all parked at the depot.
  for (let i = 0; i < 40; i++) h.send(`drained-${i}`, T0, DEPOT, 'idle', { battery: 0.25 })
  h.send('charged', T0, DEPOT, 'idle', { battery: 1 })
  h.create('del-1', offset(DEPOT, 2000, 0), offset(DEPOT, 6000, 0))
  t.match(h.events.at(-1), { type: 'DroneAssigned', deliveryId: 'del-1', droneId: 'charged' })
})

t.test('a delivery that even a full drone at the pickup could not fly fails at once, saying why', async (t) => {
  const h = harness()
  h.send('charged', T0, DEPOT, 'idle', { battery: 1 })
  h.create('del-far', offset(DEPOT, 1000, 0), offset(DEPOT, 90_000, 0))
  t.equal(h.engine.delivery('del-far')?.status, 'Failed')
  t.match(h.events.at(-1), { type: 'DeliveryFailed', deliveryId: 'del-far', reason: /even a full drone .* needs \d+% of a battery/ })
})
