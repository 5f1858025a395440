import t from 'tap'
import type { DeliveryState } from '../engine/records.js'
import { DEPOT, Flight, harness, offset, S, T0 } from './engine-harness.js'

const PICKUP = offset(DEPOT, 600, 0)
const DROPOFF = offset(DEPOT, 1500, 800)

t.test(
  'a snapshot is JSON that a new engine restores: the drone takes its delivery back on its first sample and is sent its mission again',
  async (t) => {
    const a = harness()
    a.send('d-1', T0, DEPOT)
    a.create('del-1', PICKUP, DROPOFF)
    const f = new Flight(a, 'd-1', DEPOT, T0)
    f.takeoff()
    f.cruise(PICKUP)
    f.hover(40)
    t.equal(a.engine.delivery('del-1')?.status, 'HeadedToDropoff', 'picked up before the crash')
    const snap = a.engine.snapshot('del-1')
    t.ok(snap, 'an open delivery has a snapshot')
    const state = JSON.parse(JSON.stringify(snap)) as DeliveryState
    t.equal(state.mission?.deliveryId, 'del-1', 'it carries the mission its drone flies')
    t.equal(state.promised, false)

    const b = harness()
    b.engine.restore([state])
    t.equal(b.engine.delivery('del-1')?.status, 'HeadedToDropoff', 'restored with its status')
    // Not at restore: a drone whose broker restarted with the engine is not listening yet.
    t.same(b.commands, [], 'nothing is sent before the drone is heard')
    t.equal(b.engine.stats().deliveriesByStatus.HeadedToDropoff, 1, 'counted in its status')
    const g = new Flight(b, 'd-1', f.pos, f.ts)
    g.state('cruise')
    t.equal(b.engine.drone('d-1')?.deliveryId, 'del-1', 'the drone took it back on its first sample')
    t.same(b.commands, [state.mission], 'and is sent its mission again at that sample, the same command')
    g.state('cruise')
    t.equal(b.commands.length, 1, 'once: its later samples send nothing')
    g.cruise(DROPOFF)
    g.hover(40)
    t.same(b.typesOf('del-1'), ['DeliveryCompleted'], 'and the new engine completes it, assigning it to nobody else')
    t.equal(b.engine.snapshot('del-1'), undefined, 'an ended delivery has no snapshot')
  },
)

t.test('a restored delivery still waiting for a drone is queued and dispatched when one reports', async (t) => {
  const a = harness()
  a.create('del-2', PICKUP, DROPOFF)
  const state = JSON.parse(JSON.stringify(a.engine.snapshot('del-2'))) as DeliveryState
  t.equal(state.record.status, 'Created')
  const b = harness()
  b.engine.restore([state])
  b.send('d-9', T0 + S, DEPOT)
  t.same(b.typesOf('del-2'), ['DroneAssigned'], 'assigned to the first drone that reports')
  b.engine.restore([state])
  t.equal(b.engine.stats().deliveriesByStatus.HeadedToPickup, 1, 'restoring one the engine knows changes nothing')
})

t.test("ended deliveries leave the engine's memory retainTerminalMs of event time after they ended", async (t) => {
  const h = harness({ retainTerminalMs: 60 * S })
  h.create('del-3', PICKUP, DROPOFF, 1, null, T0)
  h.create('del-4', PICKUP, DROPOFF, 1, null, T0)
  h.engine.advance(T0 + S)
  h.cancel('del-3')
  t.equal(h.engine.deliveriesHeld, 2)
  h.engine.advance(T0 + 30 * S)
  t.equal(h.engine.delivery('del-3')?.status, 'Cancelled', 'still there within the retention')
  h.engine.advance(T0 + 62 * S)
  t.equal(h.engine.delivery('del-3'), undefined, 'gone after it')
  t.equal(h.engine.delivery('del-4')?.status, 'Created', 'an open delivery stays')
  t.equal(h.engine.deliveriesHeld, 1)
  t.throws(() => harness({ retainTerminalMs: -1 }), { code: 'DF_OPTION_INVALID' }, 'a negative retention is refused')
})

t.test('a restored drone that never reports again is lost by the supervisor, and its delivery handed on', async (t) => {
  const a = harness()
  a.send('d-1', T0, DEPOT)
  a.create('del-5', PICKUP, DROPOFF)
  const state = JSON.parse(JSON.stringify(a.engine.snapshot('del-5'))) as DeliveryState
  t.equal(state.drone?.id, 'd-1', 'the snapshot carries its drone as last seen')
  const b = harness()
  b.engine.restore([state])
  t.equal(b.engine.drone('d-1')?.deliveryId, 'del-5', 'kept as last seen, flying it')
  b.send('d-2', T0 + S, DEPOT)
  // The new engine's first clock: d-1's silence counts from here, not from before the restart.
  b.engine.advance(T0 + S)
  t.same(b.typesOf('del-5'), [], 'not offered to another drone while its own may still report')
  b.send('d-2', T0 + 10 * 60 * S, DEPOT)
  b.engine.advance(T0 + 10 * 60 * S)
  t.same(b.typesOf('del-5'), ['DroneLost', 'DeliveryReassigned'], 'silent too long: lost, and the delivery goes to d-2')
  t.equal(b.engine.delivery('del-5')?.droneId, 'd-2')
})

/** An engine restored from a snapshot taken at `at`, with the drone's flight to go on with. */
function restoredAfter(at: 'assigned' | 'pickedUp') {
  const a = harness()
  a.send('d-1', T0, DEPOT)
  a.create('del-1', PICKUP, DROPOFF)
  const f = new Flight(a, 'd-1', DEPOT, T0)
  f.takeoff()
  if (at === 'pickedUp') {
    f.cruise(PICKUP)
    f.hover(40)
  }
  const b = harness()
  b.engine.restore([JSON.parse(JSON.stringify(a.engine.snapshot('del-1'))) as DeliveryState])
  return { b, f }
}

t.test('a drop-off made while no engine listened: the drone flying home has handed the package over', async (t) => {
  const { b, f } = restoredAfter('pickedUp')
  t.equal(b.engine.delivery('del-1')?.status, 'HeadedToDropoff')
  // Flown to the drop-off and hovered there unseen (a restart lost those samples); the new engine first hears it on its way home.
  const g = new Flight(b, 'd-1', DROPOFF, f.ts + 200 * S)
  g.cruise(offset(DROPOFF, -200, 0), 'returning')
  t.same(b.typesOf('del-1'), ['DeliveryCompleted'], 'completed at its first sample on the way home')
  t.equal(b.events[0]?.ts, f.ts + 201 * S, 'stamped with that sample')
  t.equal(b.engine.drone('d-1')?.deliveryId, null, 'and the drone is free again')
})

t.test('a pickup made while no engine listened: hovering at the drop-off, the drone carries the package', async (t) => {
  const { b, f } = restoredAfter('assigned')
  t.equal(b.engine.delivery('del-1')?.status, 'HeadedToPickup')
  const g = new Flight(b, 'd-1', DROPOFF, f.ts + 300 * S)
  g.hover(5)
  t.same(b.typesOf('del-1'), ['PackagePickedUp'], 'picked up, as the hover at the drop-off shows')
  g.hover(40)
  t.same(b.typesOf('del-1'), ['PackagePickedUp', 'DeliveryCompleted'], 'then delivered by the usual rule')
})

t.test('before its pickup, a drone still flying home has not started the delivery: nothing is inferred', async (t) => {
  const { b, f } = restoredAfter('assigned')
  // Its mission was lost with the engine: it is still on its way home from what it flew before.
  const g = new Flight(b, 'd-1', offset(DEPOT, 500, 500), f.ts + 10 * S)
  g.cruise(offset(DEPOT, 100, 100), 'returning')
  t.same(b.typesOf('del-1'), [], 'no pickup, no completion')
  t.equal(b.engine.delivery('del-1')?.status, 'HeadedToPickup')
  t.same(
    b.commands.map((c) => c.type),
    ['AssignDelivery'],
    'its mission is sent again at its first sample',
  )
})
