import t, { type Test } from 'tap'
import { RegionLeases } from '../service/RegionLeases.js'
import { openStore } from '../store/openStore.js'
import type { Store } from '../store/Store.js'

const REGIONS = ['east', 'north', 'south']

/** Engines sharing one store, their cycles run by hand, the store's clock moved by hand. */
async function world(t: Test) {
  let clock = 1_767_600_000_000
  const store: Store = await openStore(':memory:', { now: () => clock })
  t.teardown(() => store.close())
  const running = new Map<string, Map<string, number>>()
  const engine = (holder: string): RegionLeases => {
    const mine = new Map<string, number>()
    running.set(holder, mine)
    return new RegionLeases({
      store,
      holder,
      regions: REGIONS,
      ttlMs: 10_000,
      renewMs: 3_000,
      gained: async (r, epoch) => void mine.set(r, epoch),
      lost: async (r) => void mine.delete(r),
    })
  }
  const owners = (): Record<string, string[]> => Object.fromEntries([...running].map(([h, m]) => [h, [...m.keys()].sort()]))
  return { store, engine, owners, advance: (ms: number) => void (clock += ms) }
}

t.test('one engine takes every region; a second and a third join and the regions spread; a dead one is replaced', async (t) => {
  const w = await world(t)
  const a = w.engine('a')
  await a.cycle()
  t.same(w.owners(), { a: REGIONS }, 'alone, it holds them all')
  const b = w.engine('b')
  await b.cycle() // b registers: nothing free yet
  await a.cycle() // a sees b with none: hands one over
  await b.cycle()
  t.same(
    Object.values(w.owners())
      .map((r) => r.length)
      .sort(),
    [1, 2],
    'two engines: two and one',
  )
  const c = w.engine('c')
  for (const e of [c, a, b, c, a, b, c]) await e.cycle()
  t.same(
    Object.values(w.owners()).map((r) => r.length),
    [1, 1, 1],
    'three engines: one each',
  )
  const epochs = new Map([...a.regions, ...b.regions, ...c.regions])
  // b dies: it renews nothing from now on. Its lease lapses after ttlMs.
  const orphan = [...b.regions.keys()][0] as string
  w.advance(5_000)
  await a.cycle()
  await c.cycle()
  t.notOk([...a.regions.keys(), ...c.regions.keys()].includes(orphan), 'not taken while its lease runs')
  w.advance(6_000)
  await a.cycle()
  await c.cycle()
  const taker = a.regions.has(orphan) ? a : c
  t.ok(taker.regions.has(orphan), `taken once the lease lapsed (${orphan})`)
  t.equal(taker.regions.get(orphan), (epochs.get(orphan) ?? 0) + 1, 'with the next epoch: b cannot write any more')
  t.equal(a.regions.size + c.regions.size, 3, 'every region is held')
})

t.test('a paused engine that wakes up after losing its lease stops its engine', async (t) => {
  const w = await world(t)
  const a = w.engine('a')
  await a.cycle()
  w.advance(11_000) // a paused past its lease
  const b = w.engine('b')
  await b.cycle()
  t.same(w.owners().b, REGIONS, 'b took what lapsed')
  await a.cycle()
  t.same(w.owners().a, [], 'a, awake, finds every renewal refused and stops each region')
})

t.test('stop hands every region over at once', async (t) => {
  const w = await world(t)
  const a = w.engine('a')
  const b = w.engine('b')
  await a.cycle()
  await b.cycle()
  await a.stop()
  t.same(w.owners().a, [], 'stopped')
  await b.cycle()
  t.same(w.owners().b, REGIONS, 'the other takes them without waiting for a lease to lapse')
})
