import t from 'tap'
import type { DeliveryEvent } from '../protocol/events.js'
import { checkExpectations } from '../sim/report/checkExpectations.js'
import type { DemandArrival } from '../sim/demand.js'
import { ResultsCollector } from '../sim/report/ResultsCollector.js'
import type { Expectation } from '../sim/scenario/Scenario.js'
import { formatFigure, NO_DATA_WHEN, SUMMARY_FIGURES, type Summary } from '../sim/report/summaryFigures.js'

const T0 = 1_763_700_000_000
const S = 1000

function arrival(atS: number, deadlineS = 600): DemandArrival {
  return {
    at: T0 + atS * S,
    pickup: { lat: 47.6, lon: -122.33 },
    dropoff: { lat: 47.62, lon: -122.31 },
    weightKg: 1,
    deadline: T0 + (atS + deadlineS) * S,
  }
}

const eta = (atS: number): { at: number; p10: number; p90: number } => ({
  at: T0 + atS * S,
  p10: T0 + (atS - 20) * S,
  p90: T0 + (atS + 40) * S,
})
const assigned = (id: string, atS: number, droneId: string, etaS: number): DeliveryEvent => ({
  type: 'DroneAssigned',
  deliveryId: id,
  ts: T0 + atS * S,
  droneId,
  eta: eta(etaS),
})
const picked = (id: string, atS: number, droneId: string): DeliveryEvent => ({
  type: 'PackagePickedUp',
  deliveryId: id,
  ts: T0 + atS * S,
  droneId,
})
const completed = (id: string, atS: number, droneId: string): DeliveryEvent => ({
  type: 'DeliveryCompleted',
  deliveryId: id,
  ts: T0 + atS * S,
  droneId,
})

/**
 * Four requests: one on time, one late, one failed, one cancelled.
 *   on-time: requested at 0 s, deadline 600 s, ETA 300 s, completed 280 s → 280 s, ETA error 20 s
 *   late:    requested at 60 s, deadline 660 s, ETA 800 s, completed 900 s → 840 s, ETA error 100 s
 */
function collected(): ResultsCollector {
  const c = new ResultsCollector()
  c.requested('on-time', arrival(0))
  c.requested('late', arrival(60))
  c.requested('failed', arrival(120))
  c.requested('cancelled', arrival(180))
  const events: DeliveryEvent[] = [
    {
      type: 'DeliveryCreated',
      deliveryId: 'on-time',
      ts: T0,
      pickup: { lat: 0, lon: 0 },
      dropoff: { lat: 0, lon: 0 },
      weightKg: 1,
      deadline: null,
    },
    assigned('on-time', 10, 'd-1', 300),
    assigned('late', 70, 'd-2', 800),
    picked('on-time', 100, 'd-1'),
    { type: 'DeliveryFailed', deliveryId: 'failed', ts: T0 + 130 * S, reason: 'no drone could take it before its deadline' },
    assigned('cancelled', 185, 'd-3', 500),
    { type: 'DeliveryCancelled', deliveryId: 'cancelled', ts: T0 + 190 * S, reason: 'customer changed their mind' },
    completed('on-time', 280, 'd-1'),
    picked('late', 400, 'd-2'),
    completed('late', 900, 'd-2'),
    completed('someone-elses', 300, 'd-9'), // another client's delivery on a shared broker
  ]
  for (const e of events) c.apply(e)
  return c
}

t.test('summary figures from a hand-made event sequence', async (t) => {
  t.match(collected().summary(), {
    requested: 4,
    completed: 2,
    failed: 1,
    cancelled: 1,
    completionRate: 0.5,
    onTime: 1,
    onTimeRate: 0.25,
    meanDeliveryTimeS: (280 + 840) / 2,
    meanEtaErrorS: (20 + 100) / 2,
  })
})

t.test('per-delivery results record status, drone, times, ETA and reason', async (t) => {
  const c = collected()
  const byId = new Map(['on-time', 'late', 'failed', 'cancelled'].map((id) => [id, c.get(id)]))
  t.same(c.deliveries(), [...byId.values()], 'in request order, other deliveries ignored')
  t.equal(c.get('someone-elses'), undefined)
  t.same(
    c.deliveries().map((r) => r.request),
    [1, 2, 3, 4],
  )
  t.match(byId.get('on-time'), {
    status: 'Completed',
    droneId: 'd-1',
    requestedAt: T0,
    deadline: T0 + 600 * S,
    assignedAt: T0 + 10 * S,
    pickedUpAt: T0 + 100 * S,
    completedAt: T0 + 280 * S,
    etaAtAssignment: T0 + 300 * S,
    onTime: true,
    reason: null,
  })
  t.match(byId.get('late'), { status: 'Completed', onTime: false, completedAt: T0 + 900 * S })
  t.match(byId.get('failed'), { status: 'Failed', onTime: false, completedAt: null, reason: 'no drone could take it before its deadline' })
  t.match(byId.get('cancelled'), { status: 'Cancelled', droneId: 'd-3', onTime: false, reason: 'customer changed their mind' })
})

t.test('on time means completed no later than the deadline', async (t) => {
  const cases: Array<[completedS: number, onTime: boolean]> = [
    [599, true],
    [600, true], // exactly at the deadline
    [600.001, false],
    [3600, false],
  ]
  for (const [completedS, onTime] of cases) {
    const c = new ResultsCollector()
    c.requested('x', arrival(0, 600))
    c.apply(assigned('x', 1, 'd-1', 300))
    c.apply(completed('x', completedS, 'd-1'))
    t.equal(c.deliveries()[0]?.onTime, onTime, `completed at ${completedS} s, deadline 600 s`)
    t.equal(c.summary().onTime, onTime ? 1 : 0)
  }
})

t.test('a reassignment changes the drone but keeps the first assignment time and ETA', async (t) => {
  const c = new ResultsCollector()
  c.requested('x', arrival(0))
  c.apply(assigned('x', 5, 'd-1', 300))
  c.apply({ type: 'DeliveryReassigned', deliveryId: 'x', ts: T0 + 50 * S, fromDroneId: 'd-1', toDroneId: 'd-2' })
  t.match(c.deliveries()[0], { droneId: 'd-2', assignedAt: T0 + 5 * S, etaAtAssignment: T0 + 300 * S })
  c.apply(assigned('x', 60, 'd-3', 500))
  t.match(c.deliveries()[0], { droneId: 'd-3', assignedAt: T0 + 5 * S, etaAtAssignment: T0 + 300 * S })
})

t.test('an empty run counts zeros and has no data (null) for every ratio, mean and percentile', async (t) => {
  const s = new ResultsCollector().summary()
  t.same(
    Object.keys(s).sort(),
    Object.keys(SUMMARY_FIGURES)
      .filter((k) => k !== 'realTimeFactor' && k !== 'samplesPerS')
      .sort(),
  )
  const nulls = Object.entries(s)
    .filter(([, v]) => v === null)
    .map(([k]) => k)
    .sort()
  t.same(nulls, Object.keys(NO_DATA_WHEN).sort(), 'exactly the figures over a set that can be empty')
  t.ok(
    Object.entries(s).every(([k, v]) => k in NO_DATA_WHEN || v === 0),
    `counts are 0: ${JSON.stringify(s)}`,
  )
  t.equal(formatFigure(s.etaErrorAt10MinS), 'no data')
  t.equal(formatFigure(0), '0', 'a real zero still reads 0')
})

t.test('short deliveries leave the 10-minute ETA figure without data instead of reading 0', async (t) => {
  const c = new ResultsCollector()
  c.requested('x', arrival(0, 3600))
  c.apply(assigned('x', 0, 'd-1', 200))
  // Assigned at 0, arrives at 240 s: predictions exist 1 min before arrival, never 5 or 10.
  for (let s = 5; s < 240; s += 5) {
    c.tracking({
      type: 'tracking',
      deliveryId: 'x',
      droneId: 'd-1',
      ts: T0 + s * S,
      position: { lat: 0, lon: 0, alt: 60 },
      speed: 15,
      heading: 0,
      battery: 0.9,
      droneState: 'cruise',
      status: 'HeadedToDropoff',
      eta: { at: T0 + 230 * S, p10: 0, p90: 0 },
    })
  }
  c.apply(completed('x', 240, 'd-1'))
  const sum = c.summary()
  t.equal(sum.etaErrorAt1MinS, 10)
  t.equal(sum.etaErrorAt5MinS, null)
  t.equal(sum.etaErrorAt10MinS, null)
  t.equal(sum.meanEtaErrorS, 40)
  t.equal(sum.whPerDelivery, 0, 'with a delivery but no fleet totals the energy is a real 0')
  t.same(checkExpectations([exp('etaErrorAt1MinS', '<', 30, 8)], sum), [], 'a figure with data can meet its threshold')
  const failed = checkExpectations([exp('etaErrorAt10MinS', '<', 30, 9), exp('etaErrorAt5MinS', '>', 0, 10)], sum)
  t.equal(failed.length, 2, 'a threshold on a figure without data fails, whichever way it points')
  t.match(failed[0], { figure: 'etaErrorAt10MinS', actual: null, line: 9 })
  t.equal(failed[0]!.message, `expect etaErrorAt10MinS < 30 (line 9): no data for etaErrorAt10MinS (${NO_DATA_WHEN.etaErrorAt10MinS})`)
  t.match(failed[1]!.message, /^expect etaErrorAt5MinS > 0 \(line 10\): no data for etaErrorAt5MinS/)
})

t.test('rates are rounded to three decimals, times to one', async (t) => {
  const c = new ResultsCollector()
  for (const id of ['a', 'b', 'c']) c.requested(id, arrival(0))
  c.apply(assigned('a', 1, 'd-1', 100.04))
  c.apply(completed('a', 100.123, 'd-1'))
  t.match(c.summary(), { completionRate: 0.333, onTimeRate: 0.333, meanDeliveryTimeS: 100.1, meanEtaErrorS: 0.1 })
})

const summary: Summary = collected().summary()
const exp = (figure: string, op: Expectation['op'], value: number, line: number): Expectation => ({ figure, op, value, line })

t.test('expectations that hold produce no failures', async (t) => {
  t.same(
    checkExpectations(
      [
        exp('completionRate', '>=', 0.5, 10),
        exp('completionRate', '<=', 0.5, 11),
        exp('requested', '==', 4, 12),
        exp('failed', '<', 2, 13),
        exp('meanDeliveryTimeS', '>', 500, 14),
      ],
      summary,
    ),
    [],
  )
  t.same(checkExpectations([], summary), [])
})

t.test('each operator fails on the right side of the threshold', async (t) => {
  const cases: Array<[Expectation['op'], number, boolean]> = [
    ['>=', 0.5, true],
    ['>=', 0.51, false],
    ['<=', 0.5, true],
    ['<=', 0.49, false],
    ['>', 0.49, true],
    ['>', 0.5, false],
    ['<', 0.51, true],
    ['<', 0.5, false],
    ['==', 0.5, true],
    ['==', 0.499, false],
  ]
  for (const [op, value, holds] of cases) {
    const failed = checkExpectations([exp('completionRate', op, value, 7)], summary)
    t.equal(failed.length, holds ? 0 : 1, `completionRate (0.5) ${op} ${value} ${holds ? 'holds' : 'fails'}`)
  }
})

t.test('a failed expectation names the figure, the threshold and the value', async (t) => {
  const failed = checkExpectations(
    [exp('onTimeRate', '>=', 0.9, 23), exp('completionRate', '>=', 0.5, 24), exp('meanEtaErrorS', '<', 30, 25)],
    summary,
  )
  t.equal(failed.length, 2)
  t.match(failed[0], { figure: 'onTimeRate', op: '>=', value: 0.9, line: 23, actual: 0.25 })
  t.match(failed[1], { figure: 'meanEtaErrorS', op: '<', value: 30, line: 25, actual: 60 })
  for (const f of failed) {
    t.match(f.message, f.figure)
    t.match(f.message, `${f.op} ${f.value}`)
    t.match(f.message, String(f.actual))
    t.match(f.message, `line ${f.line}`)
  }
  t.equal(failed[0]!.message, 'expect onTimeRate >= 0.9 (line 23), got 0.25')
})

t.test('an expectation on a figure the summary lacks fails rather than passing silently', async (t) => {
  const failed = checkExpectations([exp('throughput', '>=', 0, 3)], summary)
  t.equal(failed.length, 1)
  t.match(failed[0]!.message, 'throughput')
})

t.test('an event that arrives before the gateway answered is applied once the request is registered', async (t) => {
  const c = new ResultsCollector()
  c.apply(assigned('early', 5, 'd-4', 300))
  c.apply(completed('someone-elses', 9, 'd-9'))
  t.equal(c.deliveries().length, 0)
  c.requested('early', arrival(0))
  t.match(c.get('early'), { status: 'HeadedToPickup', droneId: 'd-4', assignedAt: T0 + 5 * S, etaAtAssignment: T0 + 300 * S })
})

t.test('ETA error at fixed horizons reads the prediction made that long before arrival', async (t) => {
  const c = new ResultsCollector()
  c.requested('x', arrival(0, 3600))
  c.apply(assigned('x', 0, 'd-1', 900))
  // Predictions every 5 s, drifting from 900 s (early) to the true 1000 s as arrival nears.
  for (let s = 5; s < 1000; s += 5) {
    const predicted = 1000 - Math.max(0, (1000 - s) / 10)
    c.tracking({
      type: 'tracking',
      deliveryId: 'x',
      droneId: 'd-1',
      ts: T0 + s * S,
      position: { lat: 0, lon: 0, alt: 60 },
      speed: 15,
      heading: 0,
      battery: 0.9,
      droneState: 'cruise',
      status: 'HeadedToDropoff',
      eta: { at: T0 + predicted * S, p10: 0, p90: 0 },
    })
  }
  c.apply(completed('x', 1000, 'd-1'))
  const r = c.get('x')!
  t.equal(r.predictedEta['60'], T0 + (1000 - 60 / 10) * S, '1 min before: the prediction at 940 s')
  t.equal(r.predictedEta['300'], T0 + (1000 - 300 / 10) * S, '5 min before: at 700 s')
  t.equal(r.predictedEta['600'], T0 + (1000 - 600 / 10) * S, '10 min before: at 400 s')
  const sum = c.summary()
  t.equal(sum.etaErrorAt1MinS, 6)
  t.equal(sum.etaErrorAt5MinS, 30)
  t.equal(sum.etaErrorAt10MinS, 60)
  t.equal(sum.meanEtaErrorS, 100)
  t.ok(c.etaByMinute.length >= 16 && c.etaByMinute[0]!.n > 0, 'errors binned by minutes before arrival')
  t.ok(c.etaByMinute[0]!.signedS < 0, 'early predictions are negative errors')
})

t.test('delivery-time percentiles', async (t) => {
  const c = new ResultsCollector()
  for (let k = 1; k <= 100; k++) {
    c.requested(`d${k}`, arrival(0, 10_000))
    c.apply(completed(`d${k}`, k * 10, 'd-1'))
  }
  const s = c.summary()
  t.ok(Math.abs(s.deliveryTimeP50S! - 500) <= 1, `p50 ${s.deliveryTimeP50S}`)
  t.ok(Math.abs(s.deliveryTimeP95S! - 950) <= 1, `p95 ${s.deliveryTimeP95S}`)
  t.ok(Math.abs(s.deliveryTimeP99S! - 990) <= 1, `p99 ${s.deliveryTimeP99S}`)
})

t.test('distance and energy flown add up per delivery, across drones', async (t) => {
  const c = new ResultsCollector()
  c.requested('x', arrival(0))
  c.flown('x', 1200.4, 30.123)
  c.flown('x', 800, 20)
  c.refused('x')
  t.match(c.get('x'), { distanceM: 2000, energyWh: 50.12, refusals: 1 })
})

t.test('catchUp folds a delivery again from the store history when the broker lost some of its events', async (t) => {
  const c = new ResultsCollector()
  c.requested('a', arrival(0))
  c.requested('b', arrival(0))
  const created = (id: string): DeliveryEvent => ({
    type: 'DeliveryCreated',
    deliveryId: id,
    ts: T0,
    pickup: arrival(0).pickup,
    dropoff: arrival(0).dropoff,
    weightKg: 1,
    deadline: arrival(0).deadline,
  })
  const history = [created('a'), assigned('a', 1, 'd-1', 200), picked('a', 60, 'd-1'), completed('a', 190, 'd-1')]
  // Seen: created (seq 1) and, after an outage, completed (seq 4); assigned and picked up were published while the observer was away.
  c.apply({ ...history[0]!, seq: 1 })
  c.apply({ ...history[3]!, seq: 4 })
  t.not(c.get('a')?.status, 'Completed', 'the fold refuses Created → Completed')
  t.same(c.open().sort(), ['a', 'b'], 'both open')
  c.catchUp('a', history)
  const a = c.get('a')!
  t.equal(a.status, 'Completed', 'completed once folded from the whole history')
  t.same([a.droneId, a.assignedAt, a.pickedUpAt, a.completedAt], ['d-1', T0 + S, T0 + 60 * S, T0 + 190 * S])
  t.equal(a.onTime, true)
  t.same(c.open(), ['b'])
  c.catchUp('a', history.slice(0, 2))
  t.equal(c.get('a')?.status, 'Completed', 'a shorter history changes nothing')
  c.apply({ ...history[2]!, seq: 3 })
  t.equal(c.get('a')?.pickedUpAt, T0 + 60 * S, 'nor does a repeat from the broker')
})
