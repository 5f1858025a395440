import t from 'tap'
import { formatSummary } from '../cli/formatSummary.js'
import { formatDuration } from '../sim/report/formatDuration.js'
import { ResultsCollector } from '../sim/report/ResultsCollector.js'
import { etaAccuracy } from '../sim/report/etaAccuracy.js'
import type { RunResults } from '../sim/report/runResults.js'
import { FIGURE_LABELS, formatFigureValue, SUMMARY_FIGURES } from '../sim/report/summaryFigures.js'

const T0 = 1_763_700_000_000
const at = (s: number) => ({
  at: T0 + s * 1000,
  pickup: { lat: 47.6, lon: -122.33 },
  dropoff: { lat: 47.62, lon: -122.31 },
  weightKg: 1,
  deadline: T0 + (s + 600) * 1000,
})

t.test('durations read as a person says them', async (t) => {
  t.equal(formatDuration(10), '10 s')
  t.equal(formatDuration(0.16666666666666666 * 60), '10 s')
  t.equal(formatDuration(42.46), '42.5 s')
  t.equal(formatDuration(0), '0 s')
  t.equal(formatDuration(120), '2 min')
  t.equal(formatDuration(492), '8 min 12 s')
  t.equal(formatDuration(59.96), '1 min', 'rounding up to a minute does not read "60 s"')
  t.equal(formatDuration(3600), '1 h')
  t.equal(formatDuration(3900), '1 h 5 min')
  t.equal(formatDuration(-30), '-30 s', 'a signed error keeps its sign')
})

t.test('every figure has a readable label and reads with its unit', async (t) => {
  t.same(Object.keys(FIGURE_LABELS).sort(), Object.keys(SUMMARY_FIGURES).sort(), 'a label for every figure')
  for (const [name, { label }] of Object.entries(FIGURE_LABELS)) t.notMatch(label, /[a-z][A-Z]/, `${name}: "${label}" is not camelCase`)
  t.equal(formatFigureValue('etaErrorAt10MinS', 10), '10 s')
  t.equal(formatFigureValue('meanDeliveryTimeS', 492.3), '8 min 12 s')
  t.equal(formatFigureValue('completionRate', 0.9333), '93.3 %')
  t.equal(formatFigureValue('whPerDelivery', 45.2), '45.2 Wh')
  t.equal(formatFigureValue('requested', 12345), '12,345')
  t.equal(formatFigureValue('etaErrorAt10MinS', null), 'no data')
  t.equal(formatFigureValue('inFlight', 0), '0', 'a real zero still reads 0')
})

t.test('deliveries still open when the run ends are counted as in flight', async (t) => {
  const c = new ResultsCollector()
  for (const [id, s] of [
    ['done', 0],
    ['waiting', 10],
    ['flying', 20],
    ['failed', 30],
  ] as const)
    c.requested(id, at(s))
  const eta = { at: T0 + 300_000, p10: T0 + 280_000, p90: T0 + 340_000 }
  c.apply({ type: 'DroneAssigned', deliveryId: 'done', ts: T0 + 1000, droneId: 'd-1', eta })
  c.apply({ type: 'PackagePickedUp', deliveryId: 'done', ts: T0 + 100_000, droneId: 'd-1' })
  c.apply({ type: 'DeliveryCompleted', deliveryId: 'done', ts: T0 + 290_000, droneId: 'd-1' })
  c.apply({ type: 'DroneAssigned', deliveryId: 'flying', ts: T0 + 21_000, droneId: 'd-2', eta })
  c.apply({ type: 'PackagePickedUp', deliveryId: 'flying', ts: T0 + 100_000, droneId: 'd-2' })
  c.apply({ type: 'DeliveryFailed', deliveryId: 'failed', ts: T0 + 40_000, reason: 'no drone' })
  const s = c.summary()
  t.equal(s.requested, 4)
  t.equal(s.completed, 1)
  t.equal(s.failed, 1)
  t.equal(s.inFlight, 2, 'one waiting for a drone, one carrying its package')
})

/** The parts of results.json the summary table reads. */
function results(over: Partial<RunResults['wallClock']> = {}): RunResults {
  const summary = Object.fromEntries(Object.keys(SUMMARY_FIGURES).map((k) => [k, 1])) as unknown as RunResults['summary']
  return {
    scenario: { name: 'city', seed: 7, drones: 12, durationS: 1800 },
    summary: { ...summary, etaErrorAt10MinS: null, meanDeliveryTimeS: 492.3, inFlight: 3, completionRate: 0.9 },
    faults: [],
    etaAccuracy: etaAccuracy([]),
    expectations: [{ text: 'expect completed >= 1: holds (1)', ok: true }],
    wallClock: { wallMs: 4200, realTimeFactor: 428.6, samplesPerS: 12345, expectations: [], simulatedS: 1800, interrupted: false, ...over },
  } as unknown as RunResults
}

t.test('the printed summary: labels, units, the name for expect:, and no raw minutes', async (t) => {
  const text = formatSummary(results(), '/out')
  t.match(text, /^city: seed 7, 12 drones, 30 min simulated in 4\.2 s \(428\.6× real time, 12,345 samples\/s\)$/m)
  t.match(text, /^ {2}still in flight at the end +3 +inFlight$/m)
  t.match(text, /^ {2}delivery time, mean +8 min 12 s +meanDeliveryTimeS$/m)
  t.match(text, /^ {2}ETA error, 10 min before +no data +etaErrorAt10MinS$/m)
  t.match(text, /^ {2}completion rate +90 % +completionRate$/m)
  t.match(text, /^ {2}ETA gain over straight line, 5 min before +1× +etaGainAt5Min$/m)
  t.match(text, /^ {2}arrivals in the P10-P90 window +100 % +etaCoverage$/m)
  t.match(text, /^ {2}ETA +estimator +MAE s +P90 s +in window +n$/m, 'then the ETA accuracy table')
  t.match(text, /^ {2}1 min before +engine +no data +no data +no data +0$/m)
  t.notMatch(text, /simulated min|\d\.\d{4,}/, 'no raw fractions of minutes')
  t.notMatch(text, /INTERRUPTED/)

  const partial = formatSummary(results({ simulatedS: 250, interrupted: true }), '/out')
  t.match(partial, /^INTERRUPTED after 4 min 10 s of 30 min simulated: partial results/m)
  t.match(partial, /^city: seed 7, 12 drones, 4 min 10 s simulated in/m)
})
