import t from 'tap'
import { LagProbe } from '../engine/mqtt/LagProbe.js'

t.test("the lag is the latest probe's round trip, in wall time", async (t) => {
  let wall = 5_000_000
  const p = new LagProbe(() => wall)
  t.equal(p.lagMs(), 0, 'nothing measured yet')
  const a = p.send()
  wall += 12
  p.back(a)
  t.equal(p.lagMs(), 12)
  wall += 1000
  const b = p.send()
  t.equal(p.lagMs(), 12, 'a probe just sent does not count yet')
  wall += 3
  p.back(b)
  t.equal(p.lagMs(), 3)
})

t.test('a probe still out counts for its age: an engine stuck behind a backlog is seen before its probe returns', async (t) => {
  let wall = 5_000_000
  const p = new LagProbe(() => wall)
  const first = p.send()
  wall += 1000
  p.send()
  wall += 6000
  t.equal(p.lagMs(), 7000, 'the oldest probe out')
  p.back(first)
  t.equal(p.lagMs(), 7000, 'it came back after 7 s')
})

t.test('a lost probe is forgiven once a later one returns; junk is ignored', async (t) => {
  let wall = 5_000_000
  const p = new LagProbe(() => wall)
  p.send() // lost
  wall += 1000
  const second = p.send()
  wall += 4
  p.back(second)
  t.equal(p.lagMs(), 4)
  wall += 60_000
  t.equal(p.lagMs(), 4, 'nothing is out')
  for (const junk of ['nope', '{}', '{"sentAt":"x"}', '{"sentAt":null}']) p.back(junk)
  t.equal(p.lagMs(), 4)
})
