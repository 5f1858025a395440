/**
 * One contract, every backend: memory, embedded (SQLite in a temporary
 * directory) and PostgreSQL (a database of the test's own, dropped after).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import t, { type Test } from 'tap'
import { ErrorCodes } from '../protocol/errors.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { openStore } from '../store/openStore.js'
import { SQLITE_FILE } from '../store/SqliteStore.js'
import type { AcceptInput, Store, StoredDelivery, Writer } from '../store/Store.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { until } from './helpers/until.js'

const at = 1_763_700_000_000
const eta = { at: at + 600_000, p10: at + 500_000, p90: at + 700_000 }
const engine: Writer = { region: 'default', epoch: 1 }

function order(id: string, weightKg = 1): AcceptInput['order'] {
  return { id, pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg, deadline: null }
}
const input = (id: string, key: string | null = null, fingerprint = `fp-${id}`): AcceptInput => ({
  order: order(id),
  idempotencyKey: key,
  fingerprint,
})
const created = (id: string): DeliveryEvent => {
  const { pickup, dropoff, weightKg, deadline } = order(id)
  return { type: 'DeliveryCreated', deliveryId: id, ts: at, pickup, dropoff, weightKg, deadline }
}
const assigned = (id: string, droneId = 'd-1'): DeliveryEvent => ({ type: 'DroneAssigned', deliveryId: id, ts: at + 1, droneId, eta })

async function accepted(s: Store, id: string): Promise<StoredDelivery> {
  const r = await s.accept(input(id))
  if (r.kind !== 'accepted') throw new Error(`expected accepted, got ${r.kind}`)
  return r.delivery
}

interface Backend {
  name: string
  /** A spec for a fresh store of the test's own, or undefined when the backend is not available here. */
  fresh(t: Test): Promise<string | undefined>
  durable: boolean
}

const backends: Backend[] = [
  { name: 'memory', durable: false, fresh: async () => ':memory:' },
  {
    name: 'embedded',
    durable: true,
    fresh: async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'df-store-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      return dir
    },
  },
  { name: 'postgres', durable: true, fresh: async (t) => ((await requirePostgres(t)) ? tempDatabase(t) : undefined) },
]

for (const b of backends) {
  t.test(b.name, async (t) => {
    /** Opens a fresh store for one subtest, closed at its end; undefined when the backend is missing (already reported). */
    const fresh = async (t: Test): Promise<{ store: Store; spec: string } | undefined> => {
      const spec = await b.fresh(t)
      if (spec === undefined) return undefined
      const store = await openStore(spec, { now: () => at })
      t.teardown(() => store.close())
      return { store, spec }
    }
    // One probe, so a missing PostgreSQL is reported once rather than per subtest.
    if (b.name === 'postgres' && !(await requirePostgres(t))) return

    t.test('accept commits a Created delivery that get() finds', async (t) => {
      const s = (await fresh(t))!.store
      t.equal(s.backend, b.name)
      const r = await s.accept(input('del-a'))
      t.match(r, {
        kind: 'accepted',
        delivery: { id: 'del-a', status: 'Created', seq: 0, region: 'default', createdAt: at, droneId: null },
      })
      t.match(await s.get('del-a'), { id: 'del-a', status: 'Created', pickup: { lat: 47.61 }, weightKg: 1, history: [] })
      t.equal(await s.get('nope'), undefined)
    })

    t.test('idempotency: same key and body → same id; another body → conflict; same id → one delivery', async (t) => {
      const s = (await fresh(t))!.store
      const first = await s.accept(input('del-1', 'key-1', 'fp-A'))
      t.equal(first.kind, 'accepted')
      // A retry carries a new id (the gateway draws one per request): the key wins.
      const retry = await s.accept(input('del-2', 'key-1', 'fp-A'))
      t.match(retry, { kind: 'replay', delivery: { id: 'del-1' } })
      t.same(await s.accept(input('del-3', 'key-1', 'fp-B')), { kind: 'conflict', id: 'del-1' })
      t.equal(await s.get('del-2'), undefined, 'the retry created nothing')
      // Unique by id too.
      t.match(await s.accept(input('del-1', null, 'fp-A')), { kind: 'replay', delivery: { id: 'del-1' } })
      t.same(await s.accept(input('del-1', null, 'fp-other')), { kind: 'conflict', id: 'del-1' })
      t.equal((await s.list({ limit: 100 })).items.length, 1)
    })

    t.test('concurrent accepts with one key make one delivery', async (t) => {
      const s = (await fresh(t))!.store
      // Half in one loop turn (one group), half spread over the next turns.
      const same = Array.from({ length: 20 }, (_, i) => s.accept(input(`del-c${i}`, 'key-c', 'fp-c')))
      const later = Array.from({ length: 20 }, (_, i) =>
        new Promise((r) => setImmediate(r)).then(() => s.accept(input(`del-l${i}`, 'key-c', 'fp-c'))),
      )
      const results = await Promise.all([...same, ...later])
      t.equal(results.filter((r) => r.kind === 'accepted').length, 1, 'one accepted')
      const ids = new Set(results.map((r) => (r.kind === 'conflict' ? r.id : r.delivery.id)))
      t.same([...ids], ['del-c0'], 'every caller got the same id')
      t.equal((await s.list({ limit: 100 })).items.length, 1)
    })

    t.test('events get per-delivery sequence numbers, enter the outbox, and leave it when published', async (t) => {
      const s = (await fresh(t))!.store
      await accepted(s, 'del-1')
      await accepted(s, 'del-2')
      const logged = await Promise.all([
        s.append(engine, created('del-1')),
        s.append(engine, created('del-2')),
        s.append(engine, assigned('del-1')),
        s.append(engine, { type: 'PackagePickedUp', deliveryId: 'del-1', ts: at + 2, droneId: 'd-1' }),
      ])
      t.same(
        logged.map((l) => l.seq),
        [1, 1, 2, 3],
      )
      t.same(
        logged.map((l) => l.epoch),
        [1, 1, 1, 1],
      )
      const pos = logged.map((l) => l.pos)
      t.ok(
        pos.every((p, i) => i === 0 || p > (pos[i - 1] as number)),
        'log positions follow commit order',
      )
      t.same(
        (await s.unpublished()).map((l) => l.pos),
        pos,
      )
      await s.markPublished([pos[0] as number, pos[2] as number])
      t.same(
        (await s.unpublished()).map((l) => [l.event.deliveryId, l.seq]),
        [
          ['del-2', 1],
          ['del-1', 3],
        ],
      )
      t.same((await s.unpublished({ limit: 1 })).length, 1)
      t.same(await s.unpublished({ region: 'elsewhere' }), [])
      t.same(
        (await s.events('del-1', 1)).map((l) => [l.seq, l.event.type]),
        [
          [2, 'DroneAssigned'],
          [3, 'PackagePickedUp'],
        ],
      )
      const next = await s.append(engine, { type: 'DeliveryCompleted', deliveryId: 'del-1', ts: at + 3, droneId: 'd-1' })
      t.equal(next.seq, 4)
    })

    t.test('the read model follows a stream of events; a terminal delivery stays so', async (t) => {
      const s = (await fresh(t))!.store
      await accepted(s, 'del-1')
      const stream: DeliveryEvent[] = [
        created('del-1'),
        assigned('del-1', 'd-1'),
        { type: 'GeofenceEntered', deliveryId: 'del-1', ts: at + 2, droneId: 'd-1', zoneId: 'z-1' },
        { type: 'DroneLost', deliveryId: 'del-1', ts: at + 3, droneId: 'd-1', reason: 'silent' },
      ]
      for (const e of stream) await s.append(engine, e)
      t.match(await s.get('del-1'), { status: 'Created', droneId: null, eta: null, seq: 4 })
      await s.append(engine, { type: 'DeliveryReassigned', deliveryId: 'del-1', ts: at + 4, fromDroneId: 'd-1', toDroneId: 'd-2' })
      await s.append(engine, {
        type: 'DeliveryRescheduled',
        deliveryId: 'del-1',
        ts: at + 5,
        dropoff: { lat: 1, lon: 2 },
        deadline: at + 9_000_000,
      })
      t.match(await s.get('del-1'), { status: 'HeadedToPickup', droneId: 'd-2', dropoff: { lat: 1, lon: 2 }, deadline: at + 9_000_000 })
      await s.append(engine, { type: 'PackagePickedUp', deliveryId: 'del-1', ts: at + 6, droneId: 'd-2' })
      await s.append(engine, {
        type: 'DeliveryCancelled',
        deliveryId: 'del-1',
        ts: at + 7,
        reason: 'operator',
        packageReturnsTo: { lat: 0, lon: 0 },
      })
      // A late event: logged (history is what was said), status unchanged.
      await s.append(engine, { type: 'DeliveryCompleted', deliveryId: 'del-1', ts: at + 8, droneId: 'd-2' })
      const d = await s.get('del-1')
      t.match(d, { status: 'Cancelled', droneId: 'd-2', seq: 9 })
      t.same(
        d?.history.map((e) => e.type),
        [
          'DeliveryCreated',
          'DroneAssigned',
          'GeofenceEntered',
          'DroneLost',
          'DeliveryReassigned',
          'DeliveryRescheduled',
          'PackagePickedUp',
          'DeliveryCancelled',
          'DeliveryCompleted',
        ],
      )
      t.same(d?.history[3], stream[3], 'events come back as they went in')
    })

    t.test('requestChange commits cancels and reschedules, merged, for open deliveries only', async (t) => {
      const s = (await fresh(t))!.store
      await accepted(s, 'del-1')
      t.equal(await s.requestChange('nope', { cancel: 'x' }), undefined, 'unknown: undefined')
      const later = { lat: 47.63, lon: -122.36 }
      t.match(await s.requestChange('del-1', { deadline: at + 60_000 }), {
        kind: 'requested',
        delivery: { requested: { deadline: at + 60_000 } },
      })
      await s.append(engine, created('del-1'))
      t.match((await s.get('del-1'))?.requested, { deadline: at + 60_000 }, 'kept through the events that follow')
      await s.requestChange('del-1', { dropoff: later, deadline: null })
      t.same((await s.get('del-1'))?.requested, { deadline: null, dropoff: later }, 'a later reschedule replaces what it names')
      await s.requestChange('del-1', { cancel: 'first reason' })
      await s.requestChange('del-1', { cancel: 'second reason', deadline: at })
      const open = (await s.openDeliveries()).find((o) => o.delivery.id === 'del-1')
      t.same(
        open?.delivery.requested,
        { deadline: at, dropoff: later, cancel: 'first reason' },
        'a cancel stands; the engine sees it in the open set',
      )
      await s.append(engine, { type: 'DeliveryCancelled', deliveryId: 'del-1', ts: at + 5, reason: 'first reason' })
      t.match(await s.requestChange('del-1', { cancel: 'again' }), { kind: 'ended', delivery: { status: 'Cancelled' } }, 'ended: refused')
    })

    t.test('an event for a delivery the store never saw: DeliveryCreated creates it, any other is refused', async (t) => {
      const s = (await fresh(t))!.store
      await t.rejects(s.append(engine, assigned('ghost')), { code: ErrorCodes.NOT_FOUND })
      const l = await s.append(engine, created('direct'))
      t.equal(l.seq, 1)
      t.match(await s.get('direct'), { status: 'Created', seq: 1, history: [{ type: 'DeliveryCreated' }] })
    })

    t.test('open deliveries carry the engine state; terminal ones leave the set and drop it', async (t) => {
      const s = (await fresh(t))!.store
      for (const id of ['del-1', 'del-2', 'del-3']) await accepted(s, id)
      await s.append(engine, created('del-1'), '{"plan":1}')
      await s.append(engine, created('del-2'))
      await s.saveEngineState(engine, 'del-2', '{"plan":2}')
      await s.append(engine, assigned('del-2'))
      const open = async (): Promise<Record<string, string | null>> =>
        Object.fromEntries((await s.openDeliveries()).map((o) => [o.delivery.id, o.engineState]))
      t.same(await open(), { 'del-1': '{"plan":1}', 'del-2': '{"plan":2}', 'del-3': null }, 'an append without state keeps the saved one')
      t.match(
        (await s.openDeliveries()).find((o) => o.delivery.id === 'del-2'),
        { delivery: { status: 'HeadedToPickup', droneId: 'd-1', eta } },
      )
      await s.append(engine, { type: 'DeliveryFailed', deliveryId: 'del-1', ts: at, reason: 'x' }, '{"ignored":true}')
      t.same(await open(), { 'del-2': '{"plan":2}', 'del-3': null })
      t.same(await s.openDeliveries('elsewhere'), [])
      t.equal((await s.openDeliveries('default')).length, 2)
      t.match(await s.get('del-1'), { status: 'Failed' }, 'terminal deliveries stay queryable')
      await t.rejects(s.saveEngineState(engine, 'ghost', '{}'), { code: ErrorCodes.NOT_FOUND })
    })

    t.test('list pages newest first with a cursor, optionally by status', async (t) => {
      const s = (await fresh(t))!.store
      for (let i = 0; i < 25; i++) await accepted(s, `del-${String(i).padStart(2, '0')}`)
      for (const i of [3, 7, 11, 20]) {
        const id = `del-${String(i).padStart(2, '0')}`
        await s.append(engine, created(id))
        await s.append(engine, assigned(id))
      }
      const seen: string[] = []
      let after: string | undefined
      const sizes: number[] = []
      do {
        const page = await s.list({ limit: 10, ...(after !== undefined ? { after } : {}) })
        sizes.push(page.items.length)
        seen.push(...page.items.map((d) => d.id))
        after = page.next ?? undefined
      } while (after !== undefined)
      t.same(sizes, [10, 10, 5])
      t.same(
        seen,
        Array.from({ length: 25 }, (_, i) => `del-${String(24 - i).padStart(2, '0')}`),
      )
      // Created after the first page was read: not in the next pages, which go on below the cursor.
      const first = await s.list({ limit: 10 })
      await accepted(s, 'del-new')
      const second = await s.list({ limit: 10, after: first.next! })
      t.equal(second.items[0]?.id, 'del-14')
      const busy = await s.list({ limit: 3, status: 'HeadedToPickup' })
      t.same(
        busy.items.map((d) => d.id),
        ['del-20', 'del-11', 'del-07'],
      )
      const rest = await s.list({ limit: 3, status: 'HeadedToPickup', after: busy.next! })
      t.same(
        rest.items.map((d) => d.id),
        ['del-03'],
      )
      t.equal(rest.next, null)
      t.same((await s.list({ limit: 10, status: 'Completed' })).items, [])
      await t.rejects(s.list({ limit: 10, after: 'not-a-cursor' }), { code: ErrorCodes.REQUEST_INVALID })
    })

    t.test('secret: stored once, the same for every caller', async (t) => {
      const { store: s, spec } = (await fresh(t))!
      const racing = await Promise.all(['a', 'b', 'c'].map((v) => s.secret('tracking', () => v)))
      t.same(racing, ['a', 'a', 'a'])
      t.equal(await s.secret('tracking', () => 'z'), 'a')
      t.equal(await s.secret('broker-admin', () => 'p'), 'p')

      if (!b.durable) return
      await s.close()
      const again = await openStore(spec)
      t.teardown(() => again.close())
      t.equal(await again.secret('tracking', () => 'other'), 'a', 'kept across a restart')
    })

    t.test(
      'leases: one holder per region, renewed at the same epoch, taken over with the next one after expiry, which fences the last holder',
      async (t) => {
        // Its own clock, moved by hand; PostgreSQL times leases by the database's clock, which moves by itself.
        let clock = at
        const spec = (await b.fresh(t))!
        const s = await openStore(spec, { now: () => clock })
        t.teardown(() => s.close())
        await accepted(s, 'del-1')
        const a = await s.lease('north', 'engine-a', 60_000)
        t.equal(a, 1, 'a free region: granted with epoch 1')
        t.equal(await s.lease('north', 'engine-b', 60_000), undefined, 'held by another: refused')
        t.equal(await s.lease('north', 'engine-a', 60_000), 1, 'renewed: the same epoch')
        t.equal(await s.lease('south', 'engine-b', 60_000), 1, 'regions are leased apart')
        await s.append({ region: 'north', epoch: 1 }, { ...created('del-1') })
        // engine-a stops renewing (a pause, a crash): once its lease lapses engine-b takes north.
        t.equal(await s.lease('north', 'engine-a', 150), 1, 'a short lease')
        clock += 1000
        const taken = await until(async () => (await s.lease('north', 'engine-b', 60_000)) ?? undefined, 10_000, 'north to lapse')
        t.equal(taken, 2, 'taken over with the next epoch')
        await t.rejects(
          s.append({ region: 'north', epoch: 1 }, assigned('del-1')),
          { code: ErrorCodes.STORE_FENCED },
          'the paused holder cannot write',
        )
        t.equal(await s.lease('north', 'engine-a', 60_000), undefined, 'nor take it back while it is held')
        const { now, leases } = await s.leases()
        t.match(
          leases.map((l) => [l.region, l.holder, l.epoch, l.expiresAt > now]),
          [
            ['north', 'engine-b', 2, true],
            ['south', 'engine-b', 1, true],
          ],
        )
        await s.releaseLease('north', 'engine-a')
        t.equal((await s.leases()).leases[0]?.holder, 'engine-b', "one holder cannot release another's lease")
        await s.releaseLease('north', 'engine-b')
        t.equal(await s.lease('north', 'engine-a', 60_000), 3, 'released: free at once, with the next epoch')
      },
    )

    t.test("epoch fencing: a write below the region's epoch is refused with a code", async (t) => {
      const s = (await fresh(t))!.store
      await accepted(s, 'del-1')
      await s.append({ region: 'default', epoch: 2 }, created('del-1'))
      await t.rejects(s.append({ region: 'default', epoch: 1 }, assigned('del-1')), {
        code: ErrorCodes.STORE_FENCED,
        message: /epoch 2.*epoch 1/,
      })
      await t.rejects(s.saveEngineState({ region: 'default', epoch: 1 }, 'del-1', '{}'), { code: ErrorCodes.STORE_FENCED })
      // A newer writer takes over; the one before it is now refused too, while other regions are their own.
      t.equal((await s.append({ region: 'default', epoch: 3 }, assigned('del-1'))).epoch, 3)
      await t.rejects(s.append({ region: 'default', epoch: 2 }, { type: 'PackagePickedUp', deliveryId: 'del-1', ts: at, droneId: 'd-1' }), {
        code: ErrorCodes.STORE_FENCED,
      })
      await accepted(s, 'del-2')
      t.equal((await s.append({ region: 'north', epoch: 1 }, created('del-2'))).seq, 1)
      // A refused write in a group does not sink the others.
      const [a, z] = await Promise.allSettled([
        s.append({ region: 'default', epoch: 1 }, { type: 'DeliveryFailed', deliveryId: 'del-1', ts: at, reason: 'x' }),
        s.accept(input('del-3')),
      ])
      t.equal(a.status, 'rejected')
      t.match(z, { status: 'fulfilled', value: { kind: 'accepted' } })
      t.match(await s.get('del-1'), { status: 'HeadedToPickup', seq: 2 })
      // A takeover without leases: the next epoch, and the last holder is out.
      t.equal(await s.claimEpoch('default'), 4)
      await t.rejects(s.append({ region: 'default', epoch: 3 }, { type: 'DeliveryFailed', deliveryId: 'del-1', ts: at, reason: 'x' }), {
        code: ErrorCodes.STORE_FENCED,
      })
      t.same(await Promise.all([s.claimEpoch('south'), s.claimEpoch('south')]), [1, 2], 'two claims in one group: two epochs')
    })

    t.test("learned state: one per region, replaced by each save, fenced like the engine's other writes", async (t) => {
      const s = (await fresh(t))!.store
      t.equal(await s.learned('default'), undefined, 'nothing saved yet')
      await s.saveLearned({ region: 'default', epoch: 1 }, '{"v":1,"n":1}')
      await s.saveLearned({ region: 'north', epoch: 1 }, '{"v":1,"n":9}')
      t.equal(await s.learned('default'), '{"v":1,"n":1}')
      // Two saves in one group: the later one stands.
      await Promise.all([
        s.saveLearned({ region: 'default', epoch: 1 }, '{"v":1,"n":2}'),
        s.saveLearned({ region: 'default', epoch: 1 }, '{"v":1,"n":3}'),
      ])
      t.equal(await s.learned('default'), '{"v":1,"n":3}', 'replaced')
      t.equal(await s.learned('north'), '{"v":1,"n":9}', "another region's is its own")
      t.equal(await s.claimEpoch('default'), 2)
      await t.rejects(s.saveLearned({ region: 'default', epoch: 1 }, '{"v":1,"n":4}'), { code: ErrorCodes.STORE_FENCED })
      t.equal(await s.learned('default'), '{"v":1,"n":3}', 'an engine that lost the region cannot overwrite what its successor has')
    })

    if (b.name === 'postgres') {
      t.test('a cut connection loses no write: the group runs again on a new one', async (t) => {
        const { store: s, spec } = (await fresh(t))!
        await accepted(s, 'del-1')
        const admin = new pg.Client({ connectionString: spec })
        await admin.connect()
        t.teardown(() => admin.end())
        const cut = await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        )
        t.ok(cut.rowCount! >= 1, "the store's connections were cut")
        t.match(await s.accept(input('del-2')), { kind: 'accepted' })
        t.equal((await s.append(engine, created('del-2'))).seq, 1)
        t.match(await s.get('del-2'), { seq: 1 })
      })
    }

    if (!b.durable) return

    t.test('everything is there after a reopen; migrating again changes nothing', async (t) => {
      const spec = (await b.fresh(t))!
      const s = await openStore(spec)
      await s.accept(input('del-1', 'key-1'))
      const l = await s.append(engine, created('del-1'), '{"x":1}')
      await s.saveLearned(engine, '{"v":1}')
      await s.close()
      const again = await openStore(spec)
      t.teardown(() => again.close())
      t.match(await again.get('del-1'), { status: 'Created', seq: 1, history: [{ type: 'DeliveryCreated' }] })
      t.match(await again.accept(input('del-9', 'key-1', 'fp-del-1')), { kind: 'replay', delivery: { id: 'del-1' } })
      t.same(
        (await again.unpublished()).map((x) => x.pos),
        [l.pos],
      )
      t.same(
        (await again.openDeliveries()).map((o) => o.engineState),
        ['{"x":1}'],
      )
      t.equal((await again.append(engine, assigned('del-1'))).seq, 2)
      t.equal(await again.learned(engine.region), '{"v":1}', 'what the engine learned')
      t.same(await migrations(spec), [1, 2, 3], 'one row per migration, applied once')
    })

    t.test('a store that cannot be opened or migrated is DF_STORE_UNAVAILABLE with the reason', async (t) => {
      const spec = (await b.fresh(t))!
      const s = await openStore(spec)
      await s.close()
      await bumpSchema(spec, 99)
      await t.rejects(openStore(spec), { code: ErrorCodes.STORE_UNAVAILABLE, message: /schema is version 99/ })
      if (b.name === 'embedded') {
        const file = join(spec, 'not-a-dir')
        writeFileSync(file, 'x')
        await t.rejects(openStore(file), { code: ErrorCodes.STORE_UNAVAILABLE, message: /not-a-dir/ })
      } else {
        const u = new URL(spec)
        u.pathname = '/dronefleet_no_such_database'
        await t.rejects(openStore(u.toString()), { code: ErrorCodes.STORE_UNAVAILABLE, message: /does not exist/ })
      }
    })
  })
}

async function migrations(spec: string): Promise<number[]> {
  if (spec.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: spec })
    await c.connect()
    try {
      return (await c.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version)
    } finally {
      await c.end()
    }
  }
  const db = new Database(join(spec, SQLITE_FILE), { readonly: true })
  try {
    return db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      .all()
      .map((r) => r.version)
  } finally {
    db.close()
  }
}

async function bumpSchema(spec: string, version: number): Promise<void> {
  if (spec.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: spec })
    await c.connect()
    try {
      await c.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', 0)", [version])
    } finally {
      await c.end()
    }
    return
  }
  const db = new Database(join(spec, SQLITE_FILE))
  try {
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 0)").run(version)
  } finally {
    db.close()
  }
}

t.test('openStore: the spec names the backend; an unknown one is DF_STORE_UNAVAILABLE', async (t) => {
  const s = await openStore(':memory:')
  t.equal(s.backend, 'memory')
  await s.close()
  await t.rejects(openStore('mysql://root@127.0.0.1/x'), { code: ErrorCodes.STORE_UNAVAILABLE, message: /postgres:\/\// })
  await t.rejects(openStore('  '), { code: ErrorCodes.STORE_UNAVAILABLE })
})
