import t from 'tap'
import { SweepGrace } from '../engine/mqtt/SweepGrace.js'
import type { StoredDelivery } from '../store/Store.js'

const delivery = (id: string, seq = 0, requested?: StoredDelivery['requested']): StoredDelivery =>
  ({ id, seq, region: 'world', ...(requested ? { requested } : {}) }) as StoredDelivery
const all = (): boolean => true

t.test('a delivery waiting in one sweep is in transit; waiting in two in a row, it was lost, and is due', async (t) => {
  const g = new SweepGrace()
  t.same(g.due([delivery('a'), delivery('b')], all), [], 'first sighting: nothing is due')
  // b arrived over MQTT in between (no longer waiting); c is new.
  t.same(
    g.due([delivery('a'), delivery('c')], all).map((d) => d.id),
    ['a'],
  )
  t.same(
    g.due([delivery('a'), delivery('c')], all).map((d) => d.id),
    ['a', 'c'],
  )
})

t.test('a change asked since the last sweep starts its grace again; what the filter passes over is forgotten', async (t) => {
  const g = new SweepGrace()
  g.due([delivery('a', 3, { deadline: 1 })], all)
  t.same(g.due([delivery('a', 3, { deadline: 2 })], all), [], 'a new deadline is in transit')
  t.same(g.due([delivery('a', 3, { deadline: 2 })], all).length, 1, 'and due one sweep later')
  g.due([delivery('x')], all)
  t.same(
    g.due([delivery('x')], () => false),
    [],
    'not waiting: not due',
  )
  t.same(g.due([delivery('x')], all), [], 'and waiting again starts over')
})
