import t from 'tap'
import { IdleClock } from '../engine/mqtt/IdleClock.js'

const TS = 1_763_700_000_000 // drones' event time
const WALL = 5_000_000 // the adapter's wall clock: deliberately unrelated to event time

t.test('nothing is due before any sample arrived', async (t) => {
  let wall = WALL
  const c = new IdleClock(() => wall, 5000)
  t.equal(c.due(), undefined)
  wall += 60_000
  t.equal(c.due(), undefined)
})

t.test('without a simulator, event time is the latest sample plus the wall time since it arrived', async (t) => {
  let wall = WALL
  const c = new IdleClock(() => wall, 5000)
  c.heard(TS, wall)
  t.equal(c.due(), TS)
  wall += 1500
  t.equal(c.due(), TS + 1500)
  c.heard(TS + 1000, wall) // a newer sample re-anchors the clock
  wall += 200
  t.equal(c.due(), TS + 1200)
  c.heard(TS + 100, wall) // an older one does not
  t.equal(c.due(), TS + 1200)
})

t.test('a sim/clock keeps it off for the quiet period, then it takes over again', async (t) => {
  let wall = WALL
  const c = new IdleClock(() => wall, 5000)
  c.heard(TS, wall)
  c.simClockArrived()
  t.equal(c.due(), undefined, 'just after sim/clock')
  wall += 4999
  t.equal(c.due(), undefined, 'still within the quiet period')
  c.simClockArrived() // the simulator keeps sending: the period starts again
  wall += 4999
  t.equal(c.due(), undefined, 'a simulator that keeps sending keeps it off')
  wall += 1
  t.equal(c.due(), TS + 9999, 'quiet for 5 s: event time from the latest sample and elapsed wall time')
})

t.test('the quiet period is configurable', async (t) => {
  let wall = WALL
  const c = new IdleClock(() => wall, 100)
  c.heard(TS, wall)
  c.simClockArrived()
  wall += 99
  t.equal(c.due(), undefined)
  wall += 1
  t.equal(c.due(), TS + 100)
})

t.test("one drone's clock does not move the fleet's: the idle clock follows the lower median of the drones", async (t) => {
  let wall = WALL
  const c = new IdleClock(() => wall, 5000)
  for (const id of ['a', 'b', 'c']) t.equal(c.heard(TS, wall, id), TS)
  t.equal(c.heard(TS + 600_000, wall, 'd'), TS, "a new drone ten minutes ahead: taken, moved into the fleet's time")
  wall += 1000
  t.equal(c.due(), TS + 1000, 'the clock follows the fleet, not the newest sample')
  t.equal(c.eventNow(), TS + 1000)
})

t.test(
  "a sample far ahead of its drone's own clock is refused; a clock that really stepped is followed from its third sample",
  async (t) => {
    let wall = WALL
    const c = new IdleClock(() => wall, 5000, 3000)
    const tick = (id: string, skew: number): number | undefined => c.heard(TS + (wall - WALL) + skew, wall, id)
    for (let k = 0; k < 5; k++, wall += 1000) for (const id of ['a', 'b', 'c']) t.equal(tick(id, 0), TS + (wall - WALL))
    t.equal(tick('a', 180_000), undefined, 'one sample 180 s ahead: future')
    wall += 1000
    t.equal(tick('a', 0), TS + (wall - WALL), 'the next one is taken as it is')
    t.equal(tick('b', 2900), TS + (wall - WALL) + 2900, 'within the bound: taken as it is')
    wall += 1000
    t.equal(tick('c', 90_000), undefined, 'stepped 90 s ahead: refused at first')
    wall += 1000
    t.equal(tick('c', 90_000), undefined)
    wall += 1000
    t.equal(tick('c', 90_000), TS + (wall - WALL), "the third sample: followed, and moved back into the fleet's time")
    t.equal(c.due(), TS + (wall - WALL))
  },
)

t.test('a drone whose clock runs too fast to follow is never refused for good', async (t) => {
  let wall = WALL
  const c = new IdleClock(() => wall, 5000, 1000)
  for (const id of ['a', 'b']) c.heard(TS, wall, id)
  const verdicts: Array<number | undefined> = []
  for (let k = 1; k <= 10; k++) {
    wall += 1000
    c.heard(TS + (wall - WALL), wall, 'a')
    verdicts.push(c.heard(TS + k * 10_000, wall, 'b')) // ten seconds per second
  }
  t.ok(
    verdicts.some((v) => v !== undefined),
    'taken again after five refusals in a row',
  )
  t.ok(
    verdicts.filter((v) => v !== undefined).every((v) => Math.abs((v as number) - (TS + (wall - WALL))) <= 10_000),
    "in the fleet's time",
  )
})

t.test("in lockstep the simulator's clock bounds the samples: the tick it announced, and no further", async (t) => {
  let wall = WALL
  const c = new IdleClock(() => wall, 5000, 3000)
  c.simClockArrived({ t: TS, next: TS + 10_000 })
  t.equal(c.heard(TS + 10_000, wall, 'a'), TS + 10_000, "the next tick's sample")
  t.equal(c.heard(TS + 13_000, wall, 'b'), TS + 13_000, 'within the bound')
  t.equal(c.heard(TS + 13_001, wall, 'c'), undefined, 'beyond it: future')
  t.equal(c.eventNow(), TS, "a request is stamped with the simulator's clock")
  c.simClockArrived({ t: TS + 10_000 })
  t.equal(c.heard(TS + 13_000, wall, 'c'), TS + 13_000, 'without `next`, the bound counts from t')
  wall += 5000
  t.equal(c.eventNow(), wall + (TS + 13_000 - WALL), "quiet: the fleet's clock again (the drones' median), followed in lockstep too")
})

t.test('without any drone, a request is stamped with the wall clock', async (t) => {
  const c = new IdleClock(() => WALL, 5000)
  t.equal(c.eventNow(), WALL)
})

t.test('known: a started clock knows the event time at the first sim/clock, the first sample, or quietMs after its start', async (t) => {
  let wall = 1_000_000
  const now = (): number => wall
  const started = (): IdleClock => new IdleClock(now, 5000, 3000, wall)
  const a = started()
  t.equal(a.known(), false, 'not at the start')
  a.simClockArrived({ t: 1_767_600_000_000, next: 1_767_600_001_000 })
  t.equal(a.known(), true, 'a sim/clock')
  t.equal(a.eventNow(), 1_767_600_000_000, "and its time is the simulator's")
  const b = started()
  b.heard(1_767_600_000_000, wall, 'd-1')
  t.equal(b.known(), true, 'a sample')
  const c = started()
  wall += 4999
  t.equal(c.known(), false, 'not before quietMs')
  wall += 1
  t.equal(c.known(), true, 'quietMs after the start: the wall clock is all there is')
  t.equal(new IdleClock(now).known(), true, 'a clock not told when it started (no store) knows from the start')
})
