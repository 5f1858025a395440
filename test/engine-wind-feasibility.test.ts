import t from 'tap'
import type { WindField } from '../engine/groundSpeed.js'
import { DEPOT, Flight, harness, offset, S, T0 } from './engine-harness.js'

/** Wind from the north at `mps`: the air moves south, so flying north is into it. */
const fromNorth =
  (mps: number): WindField =>
  () => ({ eastMps: 0, northMps: -mps })

t.test('a delivery no drone could fly in this wind fails at once, naming the energy it needs', async (t) => {
  // 6 km north with 1 kg into 8 m/s at 15 m/s airspeed: 7 m/s over the ground, 2.1 air metres per metre.
  const pickup = offset(DEPOT, 300, 0),
    dropoff = offset(pickup, 6000, 0)
  const still = harness()
  still.send('d-1', T0, DEPOT, 'idle', { battery: 1 })
  still.create('del-1', pickup, dropoff, 1)
  t.equal(still.engine.delivery('del-1')?.status, 'HeadedToPickup', 'in still air a full drone flies it')

  const windy = harness({ wind: fromNorth(8) })
  for (let i = 0; i < 5; i++) windy.send(`d-${i}`, T0, DEPOT, 'idle', { battery: 1 })
  windy.create('del-1', pickup, dropoff, 1, T0 + 3_600_000)
  t.equal(windy.engine.delivery('del-1')?.status, 'Failed', 'in the wind it fails now, not at its deadline an hour on')
  const failed = windy.events.find((e) => e.deliveryId === 'del-1' && e.type === 'DeliveryFailed')
  t.match(failed, {
    type: 'DeliveryFailed',
    ts: T0,
    reason: /in this wind .*needs \d+% of a battery: \d+ Wh, and a full one has 400 Wh above its 20% reserve/,
  })
  const wh = Number(/: (\d+) Wh/.exec(failed?.type === 'DeliveryFailed' ? failed.reason : '')?.[1])
  t.ok(wh > 400 && wh < 600, `needs ${wh} Wh`)
  t.equal(windy.commands.length, 0, 'no drone was sent')

  // One that a full drone can fly in this wind waits for a charged drone instead.
  const near = offset(pickup, 1500, 0)
  const w2 = harness({ wind: fromNorth(8) })
  w2.send('low', T0, DEPOT, 'idle', { battery: 0.3 })
  w2.create('del-2', pickup, near, 1, T0 + 3_600_000)
  t.equal(w2.engine.delivery('del-2')?.status, 'Created', 'feasible for a full drone: it waits')
  w2.send('full', T0 + S, DEPOT, 'idle', { battery: 1 })
  w2.engine.advance(T0 + 2 * S)
  t.match(w2.engine.delivery('del-2'), { status: 'HeadedToPickup', droneId: 'full' })
})

t.test('the return depot is the one cheapest to reach: downwind, not the nearest upwind', async (t) => {
  // 12 m/s from the north at 15 m/s airspeed: 3 m/s over the ground going north, 27 going south.
  const dropoff = offset(DEPOT, 1000, 0)
  const up = offset(dropoff, 2000, 0) // nearest, but 5 air metres per metre away
  const down = offset(dropoff, -3000, 300) // farther, with the wind
  const h = harness({ wind: fromNorth(12), depots: [up, down] })
  h.send('d-1', T0, offset(dropoff, -200, 0), 'idle', { battery: 1 })
  h.create('del-1', offset(dropoff, -150, 0), dropoff, 0.5)
  const cmd = h.commands.find((c) => c.type === 'AssignDelivery')
  t.match(cmd, { type: 'AssignDelivery', depot: down }, 'the mission ends at the downwind depot')

  // A drone whose battery reaches the downwind depot but not the upwind one still gets the delivery.
  const g = harness({ wind: fromNorth(12), depots: [up, down] })
  g.send('d-1', T0, offset(dropoff, -200, 0), 'idle', { battery: 0.4 })
  g.create('del-1', offset(dropoff, -150, 0), dropoff, 0.5)
  t.match(g.engine.delivery('del-1'), { status: 'HeadedToPickup', droneId: 'd-1' }, 'feasible by way of the downwind depot')

  // In still air the nearest is the cheapest: unchanged.
  const s = harness({ depots: [up, down] })
  s.send('d-1', T0, offset(dropoff, -200, 0), 'idle', { battery: 1 })
  s.create('del-1', offset(dropoff, -150, 0), dropoff, 0.5)
  t.match(
    s.commands.find((c) => c.type === 'AssignDelivery'),
    { depot: up },
  )
})

t.test('a drone sent home, or flying a cancelled package back, goes to the depot cheapest to reach in the wind', async (t) => {
  const here = offset(DEPOT, 1000, 0)
  const up = offset(here, 1500, 0)
  const down = offset(here, -2500, 0)
  const h = harness({ wind: fromNorth(12), depots: [up, down] })
  const pickup = offset(here, -100, 0)
  h.send('d-1', T0, offset(pickup, 0, -50), 'idle', { battery: 1 })
  h.create('del-1', pickup, offset(pickup, 0, 1500), 0.5)
  const f = new Flight(h, 'd-1', offset(pickup, 0, -50), T0)
  f.takeoff()
  f.cruise(pickup)
  f.land()
  f.hover(31)
  f.takeoff()
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToDropoff')
  h.cancel('del-1', 'recipient moved')
  t.match(h.events.at(-1), { type: 'DeliveryCancelled', packageReturnsTo: down })
  t.match(h.commands.at(-1), { type: 'ReturnToDepot', droneId: 'd-1', depot: down })
})
