import t from 'tap'
import type { LatLon } from '../protocol/geo.js'
import type { DroneState } from '../protocol/telemetry.js'
import { etaFrom } from '../engine/estimateEta.js'
import { DEPOT, Flight, harness, modelSeconds, offset, S, T0 } from './engine-harness.js'

const PICKUP = DEPOT
const DROPOFF = offset(DEPOT, 2000, 0)

t.test('CreateDelivery assigns the nearest idle drone: DeliveryCreated, DroneAssigned with an ETA, AssignDelivery', async (t) => {
  const h = harness()
  const positions: Record<string, LatLon> = {
    'd-north-800': offset(PICKUP, 800, 0),
    'd-east-300': offset(PICKUP, 0, 300),
    'd-west-1500': offset(PICKUP, 0, -1500),
  }
  for (const [id, at] of Object.entries(positions)) h.send(id, T0, at)
  h.create('del-1', PICKUP, DROPOFF, 1)

  t.same(
    h.events.map((e) => e.type),
    ['DeliveryCreated', 'DroneAssigned'],
  )
  t.match(h.events[0], {
    type: 'DeliveryCreated',
    deliveryId: 'del-1',
    ts: T0,
    pickup: PICKUP,
    dropoff: DROPOFF,
    weightKg: 1,
    deadline: null,
  })
  const assigned = h.events[1]
  if (assigned?.type !== 'DroneAssigned') throw new Error('expected DroneAssigned')
  t.equal(assigned.droneId, 'd-east-300')
  t.equal(assigned.ts, T0)

  const expectS = modelSeconds(positions['d-east-300']!, PICKUP, DROPOFF)
  t.ok(Math.abs((assigned.eta.at - T0) / S - expectS) < 1, `ETA ${(assigned.eta.at - T0) / S} s ≈ ${expectS} s`)
  t.ok(assigned.eta.p10 >= T0 && assigned.eta.p10 < assigned.eta.at && assigned.eta.at < assigned.eta.p90, 'now <= p10 < at < p90')
  // No arrival has taught the engine its errors yet: the window is the prior band (engine-eta-calibration.test.ts shows the learned one).
  const band = etaFrom(T0, (assigned.eta.at - T0) / S)
  t.ok(Math.abs(band.p10 - assigned.eta.p10) <= 1 && Math.abs(band.p90 - assigned.eta.p90) <= 1, 'the prior band before any arrival')

  t.equal(h.commands.length, 1)
  t.match(h.commands[0], {
    type: 'AssignDelivery',
    droneId: 'd-east-300',
    deliveryId: 'del-1',
    pickup: PICKUP,
    dropoff: DROPOFF,
    depot: DEPOT,
    payloadKg: 1,
    issuedAt: T0,
  })
  t.match(h.engine.delivery('del-1'), { status: 'HeadedToPickup', droneId: 'd-east-300' })
  t.equal(h.engine.drone('d-east-300')?.deliveryId, 'del-1')
  t.equal(h.engine.drone('d-north-800')?.deliveryId, null)
  t.equal(h.engine.stats().assignments, 1)
})

t.test('the drone is told to return to the depot nearest the drop-off', async (t) => {
  const far = offset(DEPOT, 5000, 0)
  const h = harness({ depots: [DEPOT, far] })
  h.send('d-1', T0, DEPOT)
  h.create('del-1', DEPOT, offset(DEPOT, 4000, 0))
  t.match(h.commands[0], { type: 'AssignDelivery', depot: far })
})

t.test('without depots a drone is sent back to where it was assigned', async (t) => {
  const h = harness({ depots: [] })
  const at = offset(DEPOT, 200, 0)
  h.send('d-1', T0, at)
  h.create('del-1', PICKUP, DROPOFF)
  t.match(h.commands[0], { type: 'AssignDelivery', depot: at })
})

t.test('a drone whose battery cannot cover the trip and the reserve is skipped for a farther one', async (t) => {
  // The trip from 300 m away needs about 0.26 of the battery, plus the 0.2 reserve.
  const cases: Array<[battery: number, expected: string]> = [
    [1, 'near'],
    [0.5, 'near'],
    [0.45, 'far'],
    [0.25, 'far'],
    [0.05, 'far'],
  ]
  for (const [battery, expected] of cases) {
    const h = harness()
    h.send('near', T0, offset(PICKUP, 0, 300), 'idle', { battery })
    h.send('far', T0, offset(PICKUP, 0, 1200), 'idle', { battery: 1 })
    h.create('del-1', PICKUP, DROPOFF, 1)
    t.match(h.commands[0], { type: 'AssignDelivery', droneId: expected }, `near drone at battery ${battery} → ${expected}`)
  }
})

t.test('charging, flying and busy drones are skipped', async (t) => {
  const states: Array<[DroneState, string]> = [
    ['charging', 'on the ground but charging'],
    ['returning', 'flying home without a job'],
    ['cruise', 'flying'],
    ['takeoff', 'taking off'],
    ['landing', 'landing'],
    ['hover', 'hovering'],
    ['failed', 'failed'],
  ]
  for (const [state, why] of states) {
    const h = harness()
    h.send('near', T0, offset(PICKUP, 0, 100), state)
    h.send('far', T0, offset(PICKUP, 0, 900), 'idle')
    h.create('del-1', PICKUP, DROPOFF)
    t.match(h.commands[0], { droneId: 'far' }, `${why} (${state}) is skipped`)
  }

  const h = harness()
  h.send('a', T0, offset(PICKUP, 0, 100))
  h.send('b', T0, offset(PICKUP, 0, 200))
  h.send('c', T0, offset(PICKUP, 0, 300))
  h.create('del-1', PICKUP, DROPOFF)
  h.create('del-2', PICKUP, DROPOFF)
  h.create('del-3', PICKUP, DROPOFF)
  t.same(
    h.commands.map((c) => [c.type === 'AssignDelivery' && c.deliveryId, c.droneId]),
    [
      ['del-1', 'a'],
      ['del-2', 'b'],
      ['del-3', 'c'],
    ],
    'a busy drone takes no second delivery',
  )
  // A busy drone that still reports idle (it has not taken off yet) is not available either.
  h.send('a', T0 + S, offset(PICKUP, 0, 100))
  h.create('del-4', PICKUP, DROPOFF)
  t.equal(h.commands.length, 3)
  t.equal(h.engine.delivery('del-4')?.status, 'Created')
})

t.test('with no feasible drone the delivery waits, and goes to a drone that later reports idle', async (t) => {
  const h = harness()
  h.send('weak', T0, offset(PICKUP, 0, 100), 'idle', { battery: 0.3 })
  h.send('charger', T0, offset(PICKUP, 0, 400), 'charging', { battery: 0.4 })
  h.create('del-1', PICKUP, DROPOFF)
  t.same(h.typesOf('del-1'), ['DeliveryCreated'])
  t.same(h.commands, [])
  t.equal(h.engine.delivery('del-1')?.status, 'Created')

  h.send('weak', T0 + 30 * S, offset(PICKUP, 0, 100), 'idle', { battery: 0.3 })
  t.same(h.commands, [], 'still nobody can take it')

  h.send('charger', T0 + 60 * S, offset(PICKUP, 0, 400), 'idle', { battery: 0.9 })
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned'])
  t.match(h.events.at(-1), { type: 'DroneAssigned', droneId: 'charger', ts: T0 + 60 * S })
  t.equal(h.commands.length, 1)
  t.match(h.commands[0], { type: 'AssignDelivery', droneId: 'charger', deliveryId: 'del-1', issuedAt: T0 + 60 * S })
})

t.test(
  'a queued delivery is retried at once for a drone that first appears idle, and on the next advance() for one whose battery rose',
  async (t) => {
    // A drone that registers with an idle sample.
    const h1 = harness()
    h1.create('del-1', PICKUP, DROPOFF)
    h1.send('newcomer', T0 + 10 * S, offset(PICKUP, 0, 100), 'idle', { battery: 1 })
    t.equal(h1.engine.delivery('del-1')?.status, 'HeadedToPickup', "assigned on the newcomer's first sample")
    h1.engine.advance(T0 + 11 * S)
    t.equal(h1.engine.delivery('del-1')?.status, 'HeadedToPickup', 'assigned at the latest on the next advance()')

    // A drone that stays "idle" while its battery charges past what the trip needs.
    const h2 = harness()
    h2.send('slow', T0, offset(PICKUP, 0, 100), 'idle', { battery: 0.3 })
    h2.create('del-1', PICKUP, DROPOFF)
    h2.send('slow', T0 + 600 * S, offset(PICKUP, 0, 100), 'idle', { battery: 0.95 })
    t.equal(h2.engine.delivery('del-1')?.status, 'Created', "a charging drone's sample does not retry the queue by itself")
    h2.engine.advance(T0 + 601 * S)
    t.equal(h2.engine.delivery('del-1')?.status, 'HeadedToPickup', 'the next advance() assigns it once the battery covers it')
  },
)

t.test('a queued delivery fails on advance(t), with a reason, once its deadline can no longer be met', async (t) => {
  const h = harness()
  const deadline = T0 + 600 * S
  h.create('del-1', PICKUP, DROPOFF, 1, deadline)
  t.equal(h.engine.delivery('del-1')?.status, 'Created')
  // Even a drone waiting at the pickup needs handling, climbs, 2 km loaded and handling again.
  const p = { handling: 30, climb: 15, loadedS: 2000 / 15 }
  const leastS = 2 * p.handling + 2 * p.climb + p.loadedS

  const lastChance = deadline - Math.ceil(leastS) * S
  h.engine.advance(lastChance)
  t.equal(h.engine.delivery('del-1')?.status, 'Created', 'while a drone could still make it, it waits')
  h.engine.advance(lastChance + S)
  t.equal(h.engine.delivery('del-1')?.status, 'Failed', 'it fails before the deadline itself')
  const failed = h.events.at(-1)
  t.match(failed, { type: 'DeliveryFailed', deliveryId: 'del-1', ts: lastChance + S })
  t.ok(
    failed?.type === 'DeliveryFailed' && /deadline/.test(failed.reason),
    `the failure names the deadline: ${failed?.type === 'DeliveryFailed' && failed.reason}`,
  )
  t.match(h.engine.stats().deliveriesByStatus, { Created: 0, Failed: 1 })

  // A drone that turns up afterwards does not get it.
  h.send('late', deadline + 2 * S, offset(PICKUP, 0, 100), 'charging')
  h.send('late', deadline + 3 * S, offset(PICKUP, 0, 100), 'idle')
  h.engine.advance(deadline + 4 * S)
  t.same(h.commands, [])
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DeliveryFailed'])
})

t.test('a delivery the soonest drone would release after its deadline fails at once with a reason', async (t) => {
  const h = harness()
  h.send('far', T0, offset(PICKUP, 0, 6000))
  // 6 km to the pickup (400 s) + the trip (~223 s): about 650 s; the deadline is 500 s away.
  h.create('del-1', PICKUP, DROPOFF, 1, T0 + 500 * S)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DeliveryFailed'])
  const failed = h.events.at(-1)
  t.ok(
    failed?.type === 'DeliveryFailed' && /soonest drone \(far\).*after its deadline/.test(failed.reason),
    failed?.type === 'DeliveryFailed' ? failed.reason : '',
  )
  t.same(h.commands, [])
  t.equal(h.engine.drone('far')?.deliveryId, null)
  h.create('del-2', PICKUP, DROPOFF, 1, T0 + 800 * S)
  t.match(h.commands[0], { type: 'AssignDelivery', droneId: 'far', deliveryId: 'del-2' }, 'a deadline it can meet is taken')
})

t.test('advance() never moves the clock back', async (t) => {
  const h = harness()
  h.engine.advance(T0 + 10 * S)
  h.engine.advance(T0)
  t.equal(h.engine.now, T0 + 10 * S)
  t.equal(h.engine.stats().watermark, T0 + 10 * S)
})

t.test('a redelivered CreateDelivery with the same id does nothing', async (t) => {
  const h = harness()
  h.send('d-1', T0, offset(PICKUP, 0, 100))
  h.send('d-2', T0, offset(PICKUP, 0, 200))
  h.create('del-1', PICKUP, DROPOFF)
  const before = { events: h.events.length, commands: h.commands.length }
  h.create('del-1', PICKUP, DROPOFF)
  h.create('del-1', offset(PICKUP, 10, 10), DROPOFF, 2) // even with other content
  t.same({ events: h.events.length, commands: h.commands.length }, before)
  t.equal(h.engine.stats().assignments, 1)
  t.equal(h.engine.stats().deliveriesByStatus.HeadedToPickup, 1)
  t.equal(h.engine.drone('d-2')?.deliveryId, null, 'the second drone stays free')
})

t.test('an overweight package fails at once with a reason naming the weights; the limit itself is accepted', async (t) => {
  const h = harness()
  h.send('d-1', T0, offset(PICKUP, 0, 100))
  h.create('heavy', PICKUP, DROPOFF, 2.6)
  t.same(h.typesOf('heavy'), ['DeliveryCreated', 'DeliveryFailed'])
  const failed = h.events.at(-1)
  t.ok(
    failed?.type === 'DeliveryFailed' && /2\.6 kg/.test(failed.reason) && /2\.5 kg/.test(failed.reason),
    `reason: ${failed?.type === 'DeliveryFailed' ? failed.reason : ''}`,
  )
  t.same(h.commands, [])
  t.equal(h.engine.drone('d-1')?.deliveryId, null)

  h.create('at-limit', PICKUP, DROPOFF, 2.5)
  t.same(h.typesOf('at-limit'), ['DeliveryCreated', 'DroneAssigned'])
  t.match(h.engine.stats().deliveriesByStatus, { Created: 0, HeadedToPickup: 1, Failed: 1 })
})

t.test('stale and duplicate samples are dropped and counted', async (t) => {
  const h = harness()
  const here = offset(DEPOT, 100, 0)
  t.equal(h.send('d-1', T0, here, 'idle', { seq: 5, battery: 0.9 }), true)
  t.equal(h.send('d-1', T0 + S, offset(DEPOT, 900, 0), 'idle', { seq: 5, battery: 0.1 }), false, 'duplicate seq')
  t.equal(h.send('d-1', T0 + 2 * S, offset(DEPOT, 900, 0), 'charging', { seq: 3, battery: 0.1 }), false, 'older seq')
  t.match(h.engine.drone('d-1'), { seq: 5, lat: here.lat, lon: here.lon, battery: 0.9, state: 'idle', lastSeen: T0 })
  t.match(h.engine.stats(), { telemetryReceived: 3, telemetryStale: 2 })

  t.equal(h.send('d-1', T0 + 3 * S, offset(DEPOT, 200, 0), 'idle', { seq: 6 }), true, 'a newer seq is accepted again')
  t.match(h.engine.drone('d-1'), { seq: 6, lastSeen: T0 + 3 * S })
  t.match(h.engine.stats(), { telemetryReceived: 4, telemetryStale: 2 })
  // The index follows accepted positions only: the stale samples put d-1 50 m from this
  // pickup, the accepted one 650 m away, so d-2 at 250 m is the nearer.
  h.send('d-2', T0 + 3 * S, offset(DEPOT, 600, 0))
  const pickup = offset(DEPOT, 850, 0)
  h.create('del-1', pickup, offset(pickup, 500, 0))
  t.match(h.commands[0], { droneId: 'd-2' })
})

t.test('unknown drones register on their first sample', async (t) => {
  const h = harness()
  const at = offset(DEPOT, 100, 50)
  t.equal(h.send('d-9', T0, at, 'charging', { seq: 1, battery: 0.42 }), true)
  t.same(h.engine.drones(), [
    {
      id: 'd-9',
      lat: at.lat,
      lon: at.lon,
      alt: 0,
      speed: 0,
      heading: 0,
      battery: 0.42,
      state: 'charging',
      seq: 1,
      lastSeen: T0,
      deliveryId: null,
      nextDeliveryId: null,
      lost: false,
      zones: [],
    },
  ])
  t.equal(h.engine.now, T0, "the clock is the sample's event time")
})

t.test('with autoRegister: false unknown drones are ignored', async (t) => {
  const h = harness({ autoRegister: false })
  t.equal(h.send('d-9', T0, DEPOT), false)
  t.same(h.engine.drones(), [])
  t.equal(h.engine.drone('d-9'), undefined)
  h.create('del-1', PICKUP, DROPOFF)
  t.same(h.commands, [], 'an ignored drone is never dispatched')
  t.equal(h.engine.stats().telemetryStale, 0, 'an unknown drone is not counted as stale')
})

t.test('rejected telemetry is counted by reason', async (t) => {
  const h = harness()
  h.engine.rejectTelemetry('range')
  h.engine.rejectTelemetry('range')
  h.engine.rejectTelemetry('topic')
  t.same(h.engine.stats().telemetryRejected, { malformed: 0, missing: 0, type: 0, range: 2, topic: 1 })
})

t.test("pickup and completion are derived from the drone's position; tracking follows every sample", async (t) => {
  const h = harness()
  const pickup = offset(DEPOT, 1000, 0)
  const dropoff = offset(pickup, 0, 1500)
  h.send('d-1', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', pickup, dropoff, 1)
  const assigned = h.events.at(-1)
  if (assigned?.type !== 'DroneAssigned') throw new Error('expected DroneAssigned')

  const seen: Array<{ ts: number; types: string[] }> = []
  let samples = 0
  const f = new Flight(h, 'd-1', DEPOT, T0, () => {
    samples++
    seen.push({ ts: f.ts, types: h.typesOf('del-1') })
  })
  const status = (): string | undefined => h.engine.delivery('del-1')?.status

  f.takeoff()
  const cruiseFrom = h.tracking.length
  f.cruise(pickup)
  const cruising = h.tracking.slice(cruiseFrom)
  f.land()
  t.equal(status(), 'HeadedToPickup', 'arriving is not picking up')

  const hoverStart = f.ts + S
  f.hover(30)
  t.equal(status(), 'HeadedToPickup', 'after 29 s of handling the package is not yet picked up')
  f.hover(1)
  t.equal(status(), 'HeadedToDropoff', 'after 30 s of handling it is')
  t.match(h.events.at(-1), { type: 'PackagePickedUp', deliveryId: 'del-1', droneId: 'd-1', ts: hoverStart + 30 * S })

  f.takeoff()
  f.cruise(dropoff)
  f.land()
  const releaseStart = f.ts + S
  f.hover(30)
  t.equal(status(), 'HeadedToDropoff')
  f.hover(1)
  t.equal(status(), 'Completed')
  const completedAt = releaseStart + 30 * S
  t.match(h.events.at(-1), { type: 'DeliveryCompleted', deliveryId: 'del-1', droneId: 'd-1', ts: completedAt })
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'PackagePickedUp', 'DeliveryCompleted'])
  t.equal(seen.filter((s) => s.types.includes('PackagePickedUp')).at(0)?.ts, hoverStart + 30 * S, 'picked up on exactly that sample')

  // The ETA given at assignment was right to within seconds for a flight that follows the profile.
  t.ok(
    Math.abs(assigned.eta.at - completedAt) < 10 * S,
    `ETA ${new Date(assigned.eta.at).toISOString()} vs completion ${new Date(completedAt).toISOString()}`,
  )

  // One tracking message per sample, each naming the sample.
  t.equal(h.tracking.length, samples)
  t.ok(h.tracking.every((m) => m.deliveryId === 'del-1' && m.droneId === 'd-1'))
  t.same(
    h.tracking.map((m) => m.ts),
    seen.map((s) => s.ts),
  )
  t.match(h.tracking.at(-1), { status: 'Completed', eta: null, droneState: 'hover' })
  t.match(cruising[0], { status: 'HeadedToPickup', droneState: 'cruise', position: { alt: 60 }, speed: 15 })

  // While it flies straight at the pickup, the time left falls, about a second a second.
  const left = cruising.map((m) => (m.eta!.at - m.ts) / S)
  for (let i = 1; i < left.length; i++) t.ok(left[i]! < left[i - 1]!, `time left ${left[i]} < ${left[i - 1]}`)
  const fall = (left[0]! - left.at(-1)!) / (left.length - 1)
  t.ok(fall > 0.7 && fall < 1.3, `falls ${fall} s per 1 s sample`)
  for (const m of cruising) t.ok(m.eta!.p10 <= m.eta!.at && m.eta!.at <= m.eta!.p90, 'the window holds the ETA')

  // The drone is free: no more tracking for this delivery, and it takes the next one once home and idle.
  t.equal(h.engine.drone('d-1')?.deliveryId, null)
  const tracked = h.tracking.length
  f.takeoff()
  f.cruise(DEPOT, 'returning')
  f.land()
  t.equal(h.tracking.length, tracked, 'no tracking after completion')
  f.state('idle')
  h.create('del-2', pickup, dropoff, 1)
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'd-1', deliveryId: 'del-2' })
})

t.test('hovering outside the arrival radius does not pick up', async (t) => {
  const h = harness()
  const pickup = offset(DEPOT, 500, 0)
  h.send('d-1', T0, DEPOT)
  h.create('del-1', pickup, DROPOFF)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(offset(pickup, 0, 50)) // 50 m beside it, the default radius is 30 m
  f.hover(60)
  f.state('takeoff')
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToPickup')
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned'])
})

t.test('handling ends early when the drone moves on after hovering at the target', async (t) => {
  // Coarse telemetry: the last hover sample can come before handlingS has passed.
  const h = harness()
  const pickup = offset(DEPOT, 500, 0)
  h.send('d-1', T0, DEPOT)
  h.create('del-1', pickup, DROPOFF)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(pickup)
  f.land()
  f.hover(25)
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToPickup')
  f.state('takeoff')
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToDropoff')
})

t.test('a drone that fails while handling at the drop-off has not delivered', async (t) => {
  const h = harness()
  const pickup = offset(DEPOT, 500, 0)
  const dropoff = offset(pickup, 500, 0)
  h.send('d-1', T0, DEPOT)
  h.create('del-1', pickup, dropoff)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(pickup)
  f.land()
  f.hover(31)
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToDropoff')
  f.takeoff()
  f.cruise(dropoff)
  f.land()
  f.hover(5)
  f.state('failed', 0)
  t.not(h.engine.delivery('del-1')?.status, 'Completed', 'a failed drone does not complete the delivery')
})

t.test('CancelDelivery before pickup frees the drone and sends it to the depot', async (t) => {
  const h = harness()
  const pickup = offset(DEPOT, 1000, 0)
  h.send('d-1', T0, DEPOT)
  h.create('del-1', pickup, DROPOFF)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(offset(DEPOT, 300, 0))
  const tracked = h.tracking.length

  h.engine.handleRequest({ type: 'CancelDelivery', id: 'del-1', reason: 'customer changed their mind' }, T0)
  t.equal(h.engine.delivery('del-1')?.status, 'Cancelled')
  t.match(h.events.at(-1), { type: 'DeliveryCancelled', deliveryId: 'del-1', ts: f.ts, reason: 'customer changed their mind' })
  t.match(h.commands.at(-1), { type: 'ReturnToDepot', droneId: 'd-1', depot: DEPOT, issuedAt: f.ts })
  t.equal(h.engine.drone('d-1')?.deliveryId, null)

  f.cruise(DEPOT, 'returning')
  f.land()
  t.equal(h.tracking.length, tracked, 'no tracking for a cancelled delivery')
  f.state('idle')
  h.create('del-2', pickup, DROPOFF)
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'd-1', deliveryId: 'del-2' }, 'the drone takes new work')

  const n = { events: h.events.length, commands: h.commands.length }
  h.cancel('del-1')
  h.cancel('no-such-delivery')
  t.same({ events: h.events.length, commands: h.commands.length }, n, 'cancelling again, or an unknown id, does nothing')
})

t.test('cancelling a queued delivery sends no command and it is never assigned', async (t) => {
  const h = harness()
  h.create('del-1', PICKUP, DROPOFF)
  h.cancel('del-1')
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DeliveryCancelled'])
  t.same(h.commands, [])
  h.send('d-1', T0 + S, DEPOT, 'charging')
  h.send('d-1', T0 + 2 * S, DEPOT, 'idle')
  h.engine.advance(T0 + 3 * S)
  t.same(h.commands, [])
  t.equal(h.engine.delivery('del-1')?.status, 'Cancelled')
})

t.test('a completed delivery cannot be cancelled', async (t) => {
  const h = harness()
  const pickup = offset(DEPOT, 300, 0)
  const dropoff = offset(pickup, 300, 0)
  h.send('d-1', T0, DEPOT)
  h.create('del-1', pickup, dropoff)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(pickup)
  f.land()
  f.hover(31)
  f.takeoff()
  f.cruise(dropoff)
  f.land()
  f.hover(31)
  t.equal(h.engine.delivery('del-1')?.status, 'Completed')
  const n = { events: h.events.length, commands: h.commands.length }
  h.cancel('del-1')
  t.same({ events: h.events.length, commands: h.commands.length }, n)
  t.equal(h.engine.delivery('del-1')?.status, 'Completed')
})

t.test('stats().deliveriesByStatus counts every status', async (t) => {
  const h = harness()
  const pickup = offset(DEPOT, 300, 0)
  const dropoff = offset(pickup, 300, 0)
  h.send('d-1', T0, DEPOT)
  h.send('d-2', T0, offset(DEPOT, 0, 500))
  h.send('d-3', T0, offset(DEPOT, 0, 900))
  h.create('done', pickup, dropoff) // d-1
  h.create('cancelled', pickup, dropoff) // d-2
  h.create('on-its-way', pickup, dropoff) // d-3
  h.create('heavy', pickup, dropoff, 9)
  h.create('waiting', pickup, dropoff)
  h.create('expires', pickup, dropoff, 1, T0 + 5 * S) // no drone could deliver it in 5 s: fails at once
  t.same(h.engine.stats().deliveriesByStatus, { Created: 1, HeadedToPickup: 3, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 2 })

  h.send('d-2', T0 + S, offset(DEPOT, 0, 500), 'takeoff') // it has left: not idle
  h.cancel('cancelled')
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(pickup)
  f.land()
  f.hover(31)
  t.equal(h.engine.delivery('done')?.status, 'HeadedToDropoff')
  t.equal(h.engine.stats().deliveriesByStatus.HeadedToDropoff, 1)
  f.takeoff()
  f.cruise(dropoff)
  f.land()
  f.hover(31)
  h.engine.advance(f.ts)
  // 'waiting' is still queued; d-2 and d-3 have been silent for minutes, so the
  // supervisor declared them lost, and 'on-its-way' waits again for a drone.
  t.same(h.engine.stats().deliveriesByStatus, { Created: 2, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 1, Cancelled: 1, Failed: 2 })
  t.same(h.typesOf('on-its-way'), ['DeliveryCreated', 'DroneAssigned', 'DroneLost'])
  const total = Object.values(h.engine.stats().deliveriesByStatus).reduce((a, b) => a + b, 0)
  t.equal(total, 6, 'every delivery is counted exactly once')
})

t.test('stats() is a snapshot: later changes do not show in it, and editing it does not change the engine', async (t) => {
  const h = harness()
  const before = h.engine.stats()
  h.create('del-1', PICKUP, DROPOFF)
  h.engine.rejectTelemetry('range')
  t.equal(h.engine.stats().deliveriesByStatus.Created, 1)
  t.equal(before.deliveriesByStatus.Created, 0, 'an earlier snapshot keeps its counts')
  t.equal(before.telemetryRejected.range, 0, 'an earlier snapshot keeps its reject counts')
  const now = h.engine.stats()
  now.deliveriesByStatus.Created = 99
  t.equal(h.engine.stats().deliveriesByStatus.Created, 1, "the engine's own counters are not writable through stats()")
})
