import { Histogram } from 'prom-client'
import t from 'tap'
import { DeliveryBook } from '../gateway/DeliveryBook.js'
import { IngestLimiter } from '../gateway/IngestLimiter.js'
import { handleDeliveryEvent } from '../gateway/readModel/handleDeliveryEvent.js'
import type { ReadModelContext } from '../gateway/readModel/ReadModelContext.js'
import { AppliedSeqs } from '../protocol/AppliedSeqs.js'
import { decodeDeliveryEvent } from '../protocol/decodeDeliveryEvent.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { topics } from '../protocol/topics.js'
import { ResultsCollector } from '../sim/report/ResultsCollector.js'

const AT = 1_763_700_000_000
const pickup = { lat: 47.6, lon: -122.3 }
const dropoff = { lat: 47.61, lon: -122.3 }
const eta = { at: AT + 600_000, p10: AT + 500_000, p90: AT + 700_000 }
const created = { type: 'DeliveryCreated', deliveryId: 'del-1', ts: AT, pickup, dropoff, weightKg: 1, deadline: null, seq: 1 } as const
const assigned = { type: 'DroneAssigned', deliveryId: 'del-1', ts: AT + 1000, droneId: 'd-1', eta, seq: 2 } as const

t.test('AppliedSeqs: new seqs pass, repeats do not, events without seq always do, and it stays bounded', async (t) => {
  const a = new AppliedSeqs(2)
  t.ok(a.fresh('x', 1))
  t.notOk(a.fresh('x', 1), 'a repeat')
  t.ok(a.fresh('x', 3), 'a later one (a gap is the event not re-sent yet, not a repeat)')
  t.notOk(a.fresh('x', 2), 'an older one')
  t.ok(a.fresh('x', undefined), 'no seq: an engine without a store')
  t.ok(a.fresh('y', 1))
  t.ok(a.fresh('z', 1), 'a third delivery evicts the oldest')
  t.ok(a.fresh('x', 1), 'x was forgotten')
})

t.test('events carry an optional seq; a malformed one is refused', async (t) => {
  t.equal(decodeDeliveryEvent(JSON.stringify(created))?.seq, 1)
  t.equal(decodeDeliveryEvent(JSON.stringify({ ...created, seq: 0 })), undefined)
  t.equal(decodeDeliveryEvent(JSON.stringify({ ...created, seq: 'one' })), undefined)
})

t.test('the read model applies a re-published event once, and keeps events without their seq', async (t) => {
  const book = new DeliveryBook({ now: () => AT })
  const ctx: ReadModelContext = {
    book,
    limiter: new IngestLimiter({ maxPending: 10, now: () => AT }),
    metrics: { assignmentLatency: new Histogram({ name: 'seq_test', help: 'test', registers: [] }) },
    now: () => AT,
    logger: undefined,
    applied: new AppliedSeqs(),
  }
  const T = topics('seq-test')
  for (const e of [created, assigned, created, assigned])
    handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', Buffer.from(JSON.stringify(e)))
  const d = book.get('del-1')
  t.same(
    d?.history.map((e) => e.type),
    ['DeliveryCreated', 'DroneAssigned'],
    'each once',
  )
  t.notOk(
    d?.history.some((e) => 'seq' in e),
    'the history holds the events as the engine made them',
  )
})

t.test('ResultsCollector skips an event whose seq it applied', async (t) => {
  const c = new ResultsCollector()
  c.requested('del-1', { at: AT, pickup, dropoff, weightKg: 1, deadline: AT + 3_600_000 })
  const dropped: DeliveryEvent = { type: 'DroneLost', deliveryId: 'del-1', ts: AT + 2000, droneId: 'd-1', seq: 3 }
  const again: DeliveryEvent = {
    type: 'DeliveryReassigned',
    deliveryId: 'del-1',
    ts: AT + 2000,
    fromDroneId: 'd-1',
    toDroneId: 'd-2',
    seq: 4,
  }
  for (const e of [created, assigned, dropped, again, assigned]) c.apply(e)
  t.equal(c.get('del-1')?.droneId, 'd-2', 'the repeated DroneAssigned (seq 2) did not take it back to d-1')
  t.equal(c.get('del-1')?.status, 'HeadedToPickup')
})
