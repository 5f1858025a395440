import t from 'tap'
import { DEPOT, Flight, harness, offset, S, T0 } from './engine-harness.js'

const PICKUP = offset(DEPOT, 1000, 0)
const DROPOFF = offset(PICKUP, 1000, 0)

/** Reports `id` every `everyS` seconds from `fromS` to `toS` (inclusive), idle at `at`. */
function reportEvery(
  h: ReturnType<typeof harness>,
  id: string,
  at: typeof DEPOT,
  everyS: number,
  fromS: number,
  toS: number,
  state: 'idle' | 'cruise' = 'idle',
): void {
  for (let s = fromS; s <= toS; s += everyS) h.send(id, T0 + s * S, at, state)
}

/** The engine's limit of old, 3 intervals and no floor: the compensation tests below run on it to stay short. */
const TIGHT = { supervisor: { silenceFactor: 3, minSilenceMs: 0 } }

t.test('by default a drone is lost after 5x its own reporting interval of silence, and never before 10 s, in event time', async (t) => {
  const h = harness()
  reportEvery(h, 'fast', DEPOT, 1, 0, 10) // every 1 s, last at 10 s
  reportEvery(h, 'slow', offset(DEPOT, 0, 500), 5, 0, 10) // every 5 s, last at 10 s
  h.engine.advance(T0 + 20 * S)
  t.equal(h.engine.drone('fast')?.lost, false, '10 s of silence at a 1 s interval is not yet lost (the floor)')
  h.engine.advance(T0 + 20 * S + 1)
  t.equal(h.engine.drone('fast')?.lost, true, 'just over 10 s is')
  h.engine.advance(T0 + 35 * S)
  t.equal(h.engine.drone('slow')?.lost, false, '25 s at a 5 s interval is not yet lost')
  h.engine.advance(T0 + 36 * S)
  t.equal(h.engine.drone('slow')?.lost, true)
  t.match(h.engine.stats(), { dronesLost: 2, dronesLostNow: 2 })
})

t.test('EngineOptions.supervisor sets the multiple and the floor: at 3x and no floor, 3 s at 1 s', async (t) => {
  const h = harness(TIGHT)
  reportEvery(h, 'fast', DEPOT, 1, 0, 10)
  reportEvery(h, 'slow', offset(DEPOT, 0, 500), 5, 0, 10)
  h.engine.advance(T0 + 13 * S)
  t.equal(h.engine.drone('fast')?.lost, false, '3 s of silence at a 1 s interval is not yet lost')
  h.engine.advance(T0 + 13 * S + 1)
  t.equal(h.engine.drone('fast')?.lost, true, 'just over 3 intervals is')
  h.engine.advance(T0 + 25 * S)
  t.equal(h.engine.drone('slow')?.lost, false, '15 s at a 5 s interval is not yet lost')
  h.engine.advance(T0 + 26 * S)
  t.equal(h.engine.drone('slow')?.lost, true)
  const fastFloor = harness({ supervisor: { silenceFactor: 3, minSilenceMs: 30_000 } })
  reportEvery(fastFloor, 'fast', DEPOT, 1, 0, 10)
  fastFloor.engine.advance(T0 + 40 * S)
  t.equal(fastFloor.engine.drone('fast')?.lost, false, 'a 30 s floor holds over 3 intervals')
  fastFloor.engine.advance(T0 + 41 * S)
  t.equal(fastFloor.engine.drone('fast')?.lost, true)
})

t.test('a drone heard only once is judged by the default interval (1 s)', async (t) => {
  const h = harness(TIGHT)
  h.send('once', T0, DEPOT)
  h.engine.advance(T0 + 3 * S)
  t.equal(h.engine.drone('once')?.lost, false)
  h.engine.advance(T0 + 4 * S)
  t.equal(h.engine.drone('once')?.lost, true)
})

/** `n` drones reporting each second from `fromS` to `toS`, a sample dropped where `drop(id, s)` says; the clock advanced each second. */
function fleet(
  h: ReturnType<typeof harness>,
  n: number,
  fromS: number,
  toS: number,
  drop: (i: number, s: number) => boolean = () => false,
): void {
  for (let s = fromS; s <= toS; s++) {
    for (let i = 0; i < n; i++) if (!drop(i, s)) h.send(`d-${i + 1}`, T0 + s * S, offset(DEPOT, i * 10, 0))
    h.engine.advance(T0 + s * S)
  }
}

t.test('random telemetry loss does not lose healthy drones', async (t) => {
  // 20 drones, 30 % of samples lost for 10 minutes: at 3 intervals, about 3 of every 100 samples start a run of 3 lost.
  let x = 12345
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const h = harness()
  fleet(h, 20, 0, 600, () => rnd() < 0.3)
  t.equal(h.engine.stats().dronesLost, 0)
  x = 12345
  const tight = harness(TIGHT)
  fleet(tight, 20, 0, 600, () => rnd() < 0.3)
  const lostTight = tight.engine.stats().dronesLost ?? 0
  t.ok(lostTight > 10, `the old 3x limit lost ${lostTight} healthy drones`)
})

t.test('a drone whose samples arrive late is not lost and found again on every tick', async (t) => {
  // Samples 4 s late: the clock is at s, the newest sample from the drone is from s - 4.
  const run = (opts: Parameters<typeof harness>[0]) => {
    const h = harness(opts)
    h.send('late', T0, DEPOT, 'cruise')
    for (let s = 5; s <= 60; s++) {
      h.engine.advance(T0 + s * S)
      h.send('late', T0 + (s - 4) * S, DEPOT, 'cruise')
    }
    return h
  }
  const h = run({})
  t.match(h.engine.stats(), { dronesLost: 0, dronesReconciled: 0 })
  t.same(h.commands, [])
  // Even where the limit is shorter than the delay, a late sample does not reconcile the drone for the next tick to lose it again.
  const tight = run(TIGHT)
  t.match(tight.engine.stats(), { dronesLost: 1, dronesReconciled: 0 })
  t.same(tight.commands, [], 'no ReturnToDepot every second')
  t.equal(tight.engine.drone('late')?.lost, true)
  tight.send('late', T0 + 60 * S, DEPOT, 'cruise')
  t.match(tight.engine.stats(), { dronesLost: 1, dronesReconciled: 1 }, 'a sample within its limit brings it back')
})

t.test('the whole fleet silent at once is an outage, not 20 lost drones; a drone that really failed is still lost', async (t) => {
  const h = harness()
  // 20 drones report for a minute; d-20 fails at 30 s; then nobody is heard from 60 s to 80 s (the link, not the drones).
  // Before the cut, the last sample of d-1..d-3 happens to be lost; after it, d-4's first four samples.
  fleet(h, 20, 0, 60, (i, s) => (i === 19 && s > 30) || (i < 3 && s >= 59))
  t.equal(h.engine.drone('d-20')?.lost, true, 'one silent drone among 20 reporting is lost after 10 s')
  t.equal(h.events.length, 0)
  for (let s = 61; s <= 80; s++) h.engine.advance(T0 + s * S)
  t.equal(h.engine.stats().dronesLost, 1, 'after 20 s of fleet-wide silence, no other drone is lost')
  fleet(h, 19, 81, 120, (i, s) => i === 3 && s <= 84)
  t.equal(h.engine.stats().dronesLost, 1, 'nor afterwards, the one whose first samples back were lost included')
  t.equal(h.engine.stats().dronesReconciled, 0)
  // d-5 really fails after the outage: the outage does not excuse its later silence.
  fleet(h, 19, 121, 140, (i, s) => i === 4 && s > 121)
  t.equal(h.engine.drone('d-5')?.lost, true)
  t.equal(h.engine.stats().dronesLost, 2)
})

t.test('an outage longer than outageMaxMs loses the drones still silent; outageShare above 1 turns the guard off', async (t) => {
  const h = harness({ supervisor: { outageMaxMs: 30_000 } })
  fleet(h, 10, 0, 10)
  for (let s = 11; s <= 50; s++) h.engine.advance(T0 + s * S)
  t.equal(h.engine.stats().dronesLost, 0, '40 s: 10 s of silence left after 30 s excused')
  h.engine.advance(T0 + 51 * S)
  t.equal(h.engine.stats().dronesLost, 10)
  const off = harness({ supervisor: { outageShare: 2 } })
  fleet(off, 10, 0, 10)
  off.engine.advance(T0 + 21 * S)
  t.equal(off.engine.stats().dronesLost, 10, 'without the guard all ten are lost after 10 s')
  const few = harness()
  fleet(few, 4, 0, 10)
  few.engine.advance(T0 + 21 * S)
  t.equal(few.engine.stats().dronesLost, 4, 'four drones silent together are too few to call an outage')
})

t.test("the lost drone's delivery goes to another drone: DroneLost, then DeliveryReassigned and a new mission", async (t) => {
  const h = harness(TIGHT)
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
  const h = harness(TIGHT)
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
  const h = harness(TIGHT)
  h.send('a', T0, DEPOT, 'idle', { battery: 0.9 })
  h.send('b', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(h, 'a', DEPOT, T0)
  f.takeoff()
  f.cruise(PICKUP)
  f.land()
  f.hover(31)
  f.takeoff()
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToDropoff')
  h.engine.advance(f.ts + 10 * S)
  t.same(h.typesOf('del-1').slice(-2), ['DroneLost', 'DeliveryFailed'])
  const failed = h.events.at(-1)
  t.ok(
    failed?.type === 'DeliveryFailed' && /drone a .*carrying the package; last seen at/.test(failed.reason),
    failed?.type === 'DeliveryFailed' ? failed.reason : '',
  )
  t.notOk(
    h.commands.some((c) => c.droneId === 'b'),
    'nobody is sent for a package that is gone',
  )
})

t.test('a drone that reports failure is lost at once', async (t) => {
  const h = harness(TIGHT)
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
  const h = harness(TIGHT)
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
  const h = harness(TIGHT)
  h.send('a', T0, DEPOT)
  h.engine.advance(T0 + 10 * S)
  t.equal(h.engine.drone('a')?.lost, true)
  h.send('a', T0 + 11 * S, DEPOT, 'idle')
  t.equal(h.engine.drone('a')?.lost, false)
  t.same(h.commands, [])
})
