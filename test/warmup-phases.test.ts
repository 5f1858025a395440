import t from 'tap'
import { LoadPlan } from '../loadgen/LoadPlan.js'
import { warmupPhases } from '../loadgen/warmupPhases.js'

t.test('the warm-up lasts until every drone has reported once', async (t) => {
  // 10,000 drones at 1,000/s: the 2 s ramp sends 1,000, the hold the other 9,000.
  const slow = warmupPhases(1000, 2, 10_000)
  t.same(slow, [
    { rate: 0, to: 1000, durationS: 2 },
    { rate: 1000, durationS: 9 },
  ])
  t.ok(new LoadPlan(slow).total >= 10_000, `${new LoadPlan(slow).total} samples reach all 10,000 drones`)
  // Fast enough that the ramp reaches every drone: the ramp alone.
  t.same(warmupPhases(50_000, 2, 10_000), [{ rate: 0, to: 50_000, durationS: 2 }])
})

t.test('a warm-up of 0 measures the cold start; a first phase from 0 gets the ramp alone', async (t) => {
  t.same(warmupPhases(1000, 0, 10_000), [])
  t.same(warmupPhases(0, 2, 10_000), [{ rate: 0, to: 0, durationS: 2 }])
})
