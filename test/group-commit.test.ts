import t from 'tap'
import { GroupCommit, type Outcome } from '../store/GroupCommit.js'

/** A committer that records its batches and holds each until released. */
function held(): { gc: GroupCommit<number, number>; batches: number[][]; release: () => void; fail: (e: Error) => void } {
  const batches: number[][] = []
  let settle: ((o: Array<Outcome<number>>) => void) | undefined
  let reject: ((e: Error) => void) | undefined
  const gc = new GroupCommit<number, number>((ops) => {
    batches.push([...ops])
    return new Promise((res, rej) => {
      settle = () => res(ops.map((x) => (x < 0 ? { ok: false, error: new Error(`refused ${x}`) } : { ok: true, value: x * 10 })))
      reject = rej
    })
  })
  const until = async (): Promise<void> => {
    while (!settle) await new Promise((r) => setImmediate(r))
  }
  return {
    gc,
    batches,
    release: () =>
      void until().then(() => {
        const s = settle!
        settle = undefined
        s([])
      }),
    fail: (e) =>
      void until().then(() => {
        const r = reject!
        settle = undefined
        r(e)
      }),
  }
}

t.test('writes of one loop turn share a commit; writes during a commit form the next one', async (t) => {
  const { gc, batches, release } = held()
  const first = [gc.submit(1), gc.submit(2), gc.submit(3)]
  await new Promise((r) => setImmediate(r))
  t.same(batches, [[1, 2, 3]])
  const second = [gc.submit(4), gc.submit(5)]
  await new Promise((r) => setImmediate(r))
  t.same(batches, [[1, 2, 3]], 'nothing starts while a commit runs')
  release()
  t.same(await Promise.all(first), [10, 20, 30], 'each resolves with its own value once committed')
  release()
  t.same(await Promise.all(second), [40, 50])
  t.same(batches, [
    [1, 2, 3],
    [4, 5],
  ])
  t.equal(gc.transactions, 2)
  t.equal(gc.writes, 5)
})

t.test('a write refused on its own does not sink its group; a failed commit rejects the whole group only', async (t) => {
  const { gc, release, fail } = held()
  const a = gc.submit(1)
  const b = gc.submit(-1)
  release()
  t.equal(await a, 10)
  await t.rejects(b, /refused -1/)
  const c = gc.submit(2)
  const d = gc.submit(3)
  fail(new Error('disk full'))
  await t.rejects(c, /disk full/)
  await t.rejects(d, /disk full/)
  const e = gc.submit(4)
  release()
  t.equal(await e, 40, 'the next group commits')
})

t.test('drain waits for every write submitted; maxBatch splits a large group', async (t) => {
  const batches: number[] = []
  const gc = new GroupCommit<number, number>(
    async (ops) => {
      batches.push(ops.length)
      await new Promise((r) => setTimeout(r, 1))
      return ops.map((x) => ({ ok: true, value: x }))
    },
    { maxBatch: 4 },
  )
  const all = Array.from({ length: 10 }, (_, i) => gc.submit(i))
  let settled = 0
  for (const p of all) void p.then(() => settled++)
  await gc.drain()
  t.equal(settled, 10)
  t.same(batches, [4, 4, 2])
  await gc.drain()
  t.pass('drain on an idle committer resolves at once')
})

t.test('delayMs holds the first write so that writes of later turns join it', async (t) => {
  const batches: number[][] = []
  const gc = new GroupCommit<number, number>(
    (ops) => {
      batches.push([...ops])
      return ops.map((x) => ({ ok: true, value: x }))
    },
    { delayMs: 20 },
  )
  const a = gc.submit(1)
  await new Promise((r) => setImmediate(r))
  const b = gc.submit(2)
  await Promise.all([a, b])
  t.same(batches, [[1, 2]])
})
