import t from 'tap'
import { DEPOT, Flight, harness, offset, S, T0 } from './engine-harness.js'

const PICKUP = offset(DEPOT, 1000, 0)
const DROPOFF = offset(PICKUP, 1000, 0)

/** Reports `id` every `everyS` seconds from `fromS` to `toS` (inclusive), idle at `at`. */
function reportEvery(h: ReturnType<typeof harness>, id: string, at: typeof DEPOT, everyS: number, fromS: number, toS: number, state: 'idle' | 'cruise' = 'idle'): void {
  for (let s = fromS; s <= toS; s += everyS) h.send(id, T0 + s * S, at, state)
}

t.test('a drone is lost after 3x its own reporting interval of silence, in event time', async (t) => {
  const h = harness()
  reportEvery(h, 'fast', DEPOT, 1, 0, 10) // every 1 s, last at 10 s
  reportEvery(h, 'slow', offset(DEPOT, 0, 500), 5, 0, 10) // every 5 s, last at 10 s
  h.engine.advance(T0 + 13 * S)
  t.equal(h.engine.drone('fast')?.lost, false, '3 s of silence at a 1 s interval is not yet lost')
  h.engine.advance(T0 + 13 * S + 1)
  t.equal(h.engine.drone('fast')?.lost, true, 'just over 3 intervals is')
  h.engine.advance(T0 + 25 * S)
  t.equal(h.engine.drone('slow')?.lost, false, '15 s at a 5 s interval is not yet lost')
  h.engine.advance(T0 + 26 * S)
  t.equal(h.engine.drone('slow')?.lost, true)
  t.match(h.engine.stats(), { dronesLost: 2, dronesLostNow: 2 })
})

t.test('a drone heard only once is judged by the default interval (1 s)', async (t) => {
  const h = harness()
  h.send('once', T0, DEPOT)
  h.engine.advance(T0 + 3 * S)
  t.equal(h.engine.drone('once')?.lost, false)
  h.engine.advance(T0 + 4 * S)
  t.equal(h.engine.drone('once')?.lost, true)
})

t.test('the lost drone\'s delivery goes to another drone: DroneLost, then DeliveryReassigned and a new mission', async (t) => {
  const h = harness()
  h.send('a', T0, offset(PICKUP, 0, 200))
  h.send('b', T0, offset(PICKUP, 0, 900))
  h.create('del-1', PICKUP, DROPOFF)
  t.match(h.commands[0], { type: 'AssignDelivery', droneId: 'a' })
  // b keeps reporting; a falls silent after 5 s.
  reportEvery(h, 'a', offset(PICKUP, 0, 200), 1, 1, 5, 'cruise')
  reportEvery(h, 'b', offset(PICKUP, 0, 900), 1, 1, 10)
  h.engine.advance(T0 + 10 * S)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost', 'DeliveryReassigned'])
  const lost = h.events.find((e) => e.type === 'DroneLost')
  t.match(lost, { droneId: 'a', ts: T0 + 10 * S })
  t.ok(lost?.type === 'DroneLost' && /silent for 5 s/.test(lost.reason ?? ''), `reason: ${lost?.type === 'DroneLost' ? lost.reason : ''}`)
  t.match(h.events.at(-1), { type: 'DeliveryReassigned', fromDroneId: 'a', toDroneId: 'b' })
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'b', deliveryId: 'del-1', pickup: PICKUP })
  t.match(h.engine.delivery('del-1'), { status: 'HeadedToPickup', droneId: 'b' })
  t.match(h.engine.drone('a'), { lost: true, deliveryId: null })
  t.equal(h.engine.stats().reassignments, 1)
})

t.test('with no drone free the delivery waits as Created, and the next free drone takes it as a reassignment', async (t) => {
  const h = harness()
  h.send('a', T0, offset(PICKUP, 0, 200))
  h.create('del-1', PICKUP, DROPOFF)
  h.engine.advance(T0 + 5 * S)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost'])
  t.equal(h.engine.delivery('del-1')?.status, 'Created')
  h.send('c', T0 + 6 * S, offset(PICKUP, 0, 400))
  t.match(h.events.at(-1), { type: 'DeliveryReassigned', fromDroneId: 'a', toDroneId: 'c' })
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToPickup')
})

t.test('lost with the package aboard, the delivery fails with a reason naming the drone and where it was last seen', async (t) => {
  const h = harness()
  h.send('a', T0, DEPOT, 'idle', { battery: 0.9 })
  h.send('b', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(h, 'a', DEPOT, T0)
  f.takeoff(); f.cruise(PICKUP); f.land(); f.hover(31); f.takeoff()
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToDropoff')
  h.engine.advance(f.ts + 10 * S)
  t.same(h.typesOf('del-1').slice(-2), ['DroneLost', 'DeliveryFailed'])
  const failed = h.events.at(-1)
  t.ok(failed?.type === 'DeliveryFailed' && /drone a .*carrying the package; last seen at/.test(failed.reason), failed?.type === 'DeliveryFailed' ? failed.reason : '')
  t.notOk(h.commands.some((c) => c.droneId === 'b'), 'nobody is sent for a package that is gone')
})

t.test('a drone that reports failure is lost at once', async (t) => {
  const h = harness()
  h.send('a', T0, offset(PICKUP, 0, 200))
  h.send('b', T0, offset(PICKUP, 0, 900))
  h.create('del-1', PICKUP, DROPOFF)
  h.send('a', T0 + S, offset(PICKUP, 0, 200), 'failed')
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost', 'DeliveryReassigned'])
  const lost = h.events.find((e) => e.type === 'DroneLost')
  t.ok(lost?.type === 'DroneLost' && /reported failure/.test(lost.reason ?? ''))
  h.send('a', T0 + 2 * S, offset(PICKUP, 0, 200), 'failed')
  t.equal(h.engine.stats().dronesLost, 1, 'further failed samples change nothing')
})

t.test('a lost drone that reappears is reconciled: sent home if flying, never given its old delivery twice', async (t) => {
  const h = harness()
  h.send('a', T0, offset(PICKUP, 0, 200))
  h.send('b', T0, offset(PICKUP, 0, 900))
  h.create('del-1', PICKUP, DROPOFF)
  h.send('a', T0 + S, offset(PICKUP, 0, 150), 'cruise')
  reportEvery(h, 'b', offset(PICKUP, 0, 900), 1, 1, 8)
  h.engine.advance(T0 + 8 * S)
  t.match(h.engine.delivery('del-1'), { droneId: 'b' })
  const before = h.commands.length

  // a comes back, still flying its old mission.
  h.send('a', T0 + 9 * S, offset(PICKUP, 0, 50), 'cruise')
  t.match(h.engine.drone('a'), { lost: false, deliveryId: null })
  t.match(h.commands.slice(before), [{ type: 'ReturnToDepot', droneId: 'a' }])
  t.match(h.engine.stats(), { dronesReconciled: 1, dronesLostNow: 0 })
  // Hovering at the pickup, it does not pick up someone else's package.
  for (let k = 10; k < 50; k++) h.send('a', T0 + k * S, PICKUP, 'hover')
  t.match(h.engine.delivery('del-1'), { status: 'HeadedToPickup', droneId: 'b' })
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost', 'DeliveryReassigned'])

  // Idle again, it is available for new work like any drone.
  h.send('a', T0 + 60 * S, DEPOT, 'idle')
  h.create('del-2', DEPOT, DROPOFF)
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'a', deliveryId: 'del-2' })
})

t.test('a lost drone that reappears on the ground gets no command', async (t) => {
  const h = harness()
  h.send('a', T0, DEPOT)
  h.engine.advance(T0 + 10 * S)
  t.equal(h.engine.drone('a')?.lost, true)
  h.send('a', T0 + 11 * S, DEPOT, 'idle')
  t.equal(h.engine.drone('a')?.lost, false)
  t.same(h.commands, [])
})
