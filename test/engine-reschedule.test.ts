import t from 'tap'
import { decodeRequest } from '../protocol/requests.js'
import { DEPOT, Flight, harness, offset, S, T0 } from './engine-harness.js'

const PICKUP = offset(DEPOT, 1000, 0)
const DROPOFF = offset(PICKUP, 1000, 0)

t.test('decodeRequest accepts a RescheduleDelivery that changes something, and nothing malformed', async (t) => {
  const ok = (o: unknown): unknown => decodeRequest(JSON.stringify(o))
  t.match(ok({ type: 'RescheduleDelivery', id: 'del-1', dropoff: { lat: 47.6, lon: -122.3 } }), {
    type: 'RescheduleDelivery',
    dropoff: { lat: 47.6 },
  })
  t.match(ok({ type: 'RescheduleDelivery', id: 'del-1', deadline: T0 }), { deadline: T0 })
  t.match(ok({ type: 'RescheduleDelivery', id: 'del-1', deadline: null }), { deadline: null })
  t.equal(ok({ type: 'RescheduleDelivery', id: 'del-1' }), undefined, 'nothing to change')
  t.equal(ok({ type: 'RescheduleDelivery', id: 'del-1', dropoff: { lat: 91, lon: 0 } }), undefined, 'latitude out of range')
  t.equal(ok({ type: 'RescheduleDelivery', id: 'del-1', dropoff: 'here' }), undefined)
  t.equal(ok({ type: 'RescheduleDelivery', id: 'del-1', deadline: 'soon' }), undefined)
  t.equal(ok({ type: 'RescheduleDelivery', id: 'del-1', deadline: -5 }), undefined)
  t.equal(ok({ type: 'RescheduleDelivery', id: '', deadline: T0 }), undefined, 'no id')
})

t.test('a queued delivery takes its new drop-off and deadline, and is dispatched with them', async (t) => {
  const h = harness()
  h.create('del-1', PICKUP, DROPOFF, 1, T0 + 3600 * S)
  const dropoff = offset(PICKUP, 0, 800)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff, deadline: null }, T0)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DeliveryRescheduled'])
  t.match(h.events.at(-1), { type: 'DeliveryRescheduled', dropoff, deadline: null })
  t.match(h.engine.delivery('del-1'), { status: 'Created', dropoff, deadline: null })
  h.send('d-1', T0 + S, DEPOT)
  t.match(h.commands[0], { type: 'AssignDelivery', droneId: 'd-1', dropoff })
})

t.test('before pickup the assigned drone is re-planned: a new mission and ETA, the same drone', async (t) => {
  const h = harness()
  h.send('d-1', T0, DEPOT)
  h.create('del-1', PICKUP, DROPOFF)
  const before = h.engine.delivery('del-1')!.eta!.at
  const dropoff = offset(PICKUP, 3000, 0)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff }, T0)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DeliveryRescheduled'])
  t.match(h.events.at(-1), { dropoff, deadline: null }, 'an absent deadline is kept')
  t.equal(h.commands.length, 2)
  t.match(h.commands[1], { type: 'AssignDelivery', droneId: 'd-1', deliveryId: 'del-1', pickup: PICKUP, dropoff })
  t.notOk((h.commands[1] as { loaded?: boolean }).loaded)
  const after = h.engine.delivery('del-1')!.eta!.at
  t.ok(after - before > 120 * S, `the ETA moved out by the extra 2 km (${(after - before) / S} s)`)
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToPickup')
})

t.test('the same reschedule redelivered changes nothing', async (t) => {
  const h = harness()
  h.send('d-1', T0, DEPOT)
  h.create('del-1', PICKUP, DROPOFF)
  const r = { type: 'RescheduleDelivery', id: 'del-1', deadline: T0 + 3600 * S } as const
  h.engine.handleRequest(r, T0)
  const n = { events: h.events.length, commands: h.commands.length }
  h.engine.handleRequest(r, T0)
  t.same({ events: h.events.length, commands: h.commands.length }, n)
})

t.test('after pickup the drone flies the package to the new drop-off without loading again', async (t) => {
  const h = harness()
  h.send('d-1', T0, DEPOT, 'idle', { battery: 0.9 })
  h.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(h, 'd-1', DEPOT, T0)
  f.takeoff()
  f.cruise(PICKUP)
  f.land()
  f.hover(31)
  f.takeoff()
  t.equal(h.engine.delivery('del-1')?.status, 'HeadedToDropoff')
  const dropoff = offset(PICKUP, 0, 1200)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff }, T0)
  t.match(h.commands.at(-1), { type: 'AssignDelivery', droneId: 'd-1', dropoff, loaded: true, pickup: { lat: f.pos.lat, lon: f.pos.lon } })
  f.cruise(dropoff)
  f.land()
  f.hover(31)
  t.equal(h.engine.delivery('del-1')?.status, 'Completed', 'released at the new drop-off')
})

t.test('before pickup, a drop-off the assigned drone cannot reach goes to one that can', async (t) => {
  const h = harness()
  h.send('weak', T0, offset(PICKUP, 0, 100), 'idle', { battery: 0.5 })
  h.send('strong', T0, offset(PICKUP, 0, 2000), 'idle', { battery: 1 })
  h.create('del-1', PICKUP, DROPOFF)
  t.match(h.commands[0], { droneId: 'weak' })
  const far = offset(PICKUP, 6000, 0)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff: far }, T0)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DeliveryRescheduled', 'DeliveryReassigned'])
  t.match(h.events.at(-1), { type: 'DeliveryReassigned', fromDroneId: 'weak', toDroneId: 'strong' })
  t.match(h.commands.slice(1), [
    { type: 'ReturnToDepot', droneId: 'weak' },
    { type: 'AssignDelivery', droneId: 'strong', dropoff: far },
  ])
  t.equal(h.engine.drone('weak')?.deliveryId, null)
  t.equal(h.engine.drone('strong')?.deliveryId, 'del-1')
})

t.test('a new drop-off no drone can reach fails the delivery with a reason and frees the drone', async (t) => {
  const h = harness()
  h.send('d-1', T0, DEPOT)
  h.create('del-1', PICKUP, DROPOFF)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', dropoff: offset(PICKUP, 40_000, 0) }, T0)
  t.same(h.typesOf('del-1'), ['DeliveryCreated', 'DroneAssigned', 'DeliveryRescheduled', 'DeliveryFailed'])
  const failed = h.events.at(-1)
  t.ok(failed?.type === 'DeliveryFailed' && /new drop-off/.test(failed.reason), 'the reason names the new drop-off')
  t.match(h.commands.at(-1), { type: 'ReturnToDepot', droneId: 'd-1' })
  t.equal(h.engine.drone('d-1')?.deliveryId, null)
})

t.test('ended and unknown deliveries are not rescheduled', async (t) => {
  const h = harness()
  h.create('del-1', PICKUP, DROPOFF)
  h.cancel('del-1')
  const n = h.events.length
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'del-1', deadline: T0 }, T0)
  h.engine.handleRequest({ type: 'RescheduleDelivery', id: 'nope', deadline: T0 }, T0)
  t.equal(h.events.length, n)
})
