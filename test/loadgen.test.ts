import t from 'tap'
import { LatencyStats } from '../loadgen/LatencyStats.js'
import { LoadPlan, parsePhases } from '../loadgen/LoadPlan.js'
import { SeqTracker } from '../loadgen/SeqTracker.js'
import { checkThresholds, parseThreshold } from '../loadgen/thresholds.js'

t.test('a constant plan spaces messages evenly', async (t) => {
  const p = new LoadPlan([{ rate: 100, durationS: 2 }])
  t.equal(p.total, 200)
  t.equal(p.countBy(0.5), 51, 'messages 0..50 are due by 0.5 s')
  t.equal(p.countBy(0), 1, 'message 0 goes at once')
  t.equal(p.countBy(-1), 0)
  t.equal(p.timeOf(0), 0)
  t.equal(p.timeOf(150), 1.5)
  t.equal(p.countBy(10), 200)
})

t.test('a ramp sends the area under the rate, and timeOf inverts countBy', async (t) => {
  const p = new LoadPlan(parsePhases('0->1000@10,1000@5'))
  t.equal(p.total, 5000 + 5000)
  t.equal(p.countBy(5), 1251, 'a quarter of the ramp area at half time (and message 0)')
  for (const k of [0, 1, 10, 1249, 1250, 4999, 5000, 7500, 9999]) {
    const at = p.timeOf(k)
    t.ok(p.countBy(at) >= k + 1 && p.countBy(at - 1e-3) <= k, `message ${k} at ${at.toFixed(4)} s`)
  }
  t.ok(p.timeOf(9999) <= 15)
})

t.test('bad phases are refused naming the phase', async (t) => {
  t.throws(() => parsePhases('100@10,fast@5'), /phase 2 "fast@5"/)
  t.throws(() => new LoadPlan([{ rate: -1, durationS: 5 }]), /phase 1: rate/)
  t.throws(() => new LoadPlan([]), /at least one phase/)
})

t.test('seq tracking tells loss, duplicates and reordering apart', async (t) => {
  const s = new SeqTracker()
  for (const seq of [0, 1, 3, 2, 2, 5, 100]) s.add(7, seq)
  s.add(8, 0)
  t.equal(s.received, 7)
  t.equal(s.duplicates, 1)
  t.equal(s.reordered, 1, 'seq 2 after 3')
  t.equal(s.lost(10), 3)
})

t.test('latency percentiles and the per-second series', async (t) => {
  const l = new LatencyStats()
  for (let i = 1; i <= 1000; i++) l.record(i / 500, i / 10) // 0.1 .. 100 ms over 2 s
  const s = l.summary()
  t.equal(s.count, 1000)
  t.ok(Math.abs(s.p50 - 50) < 0.1, `p50 ${s.p50}`)
  t.ok(Math.abs(s.p99 - 99) < 0.1, `p99 ${s.p99}`)
  t.ok(Math.abs(s.max - 100) < 0.1, `max ${s.max}`)
  t.same(l.series(), [499, 500, 1])
})

t.test('thresholds parse units and fail naming metric, limit and value', async (t) => {
  const known = ['p99', 'loss', 'lossRate', 'ratio']
  const th = ['p99<25ms', 'loss==0', 'lossRate<=0.1%', 'ratio>=0.9'].map((x) => parseThreshold(x, known))
  t.same(
    th.map((x) => x.limit),
    [25, 0, 0.001, 0.9],
  )
  const r = checkThresholds(th, { p99: 30, loss: 0, lossRate: 0, ratio: 0.95 })
  t.same(
    r.map((x) => x.ok),
    [false, true, true, true],
  )
  t.equal(r[0]!.actual, 30)
  t.throws(() => parseThreshold('p42<1ms', known), /unknown metric "p42"/)
  t.throws(() => parseThreshold('p99 < fast', known), /must look like/)
  t.same(
    checkThresholds([parseThreshold('ratio>=1', known)], {}).map((x) => x.ok),
    [false],
    'a missing figure fails',
  )
})
