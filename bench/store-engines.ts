/**
 * Which embedded database for store/: the same write pattern on each
 * candidate, group-committed (every write of a loop turn, or of the last
 * transaction's duration, shares one durable commit), with 256 writers
 * awaiting their commit before writing again, as POST handlers would.
 *   accept: idempotency look-up, inbox row, read-model row;
 *   event:  read-model row update (sequence number), event row, outbox row.
 *
 *   node dist/bench/store-engines.js [--seconds 3] [--runs 3] [engine…]
 *   engines: sqlite-full sqlite-normal sqlite-worker lmdb pglite
 *
 * Durability: sqlite-full fsyncs the WAL on every commit (survives power
 * loss); sqlite-normal writes the WAL without fsync (survives SIGKILL, not
 * power loss); sqlite-worker is sqlite-full in a worker thread; lmdb awaits `flushed` (synced); pglite's NODEFS has no fsync
 * (its writes reach the OS, so SIGKILL-safe, not power-loss-safe).
 * "blocked" is the share of wall time the main thread spent inside commits.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { open as openLmdb } from 'lmdb'
import { PGlite } from '@electric-sql/pglite'
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { GroupCommit, type Outcome } from '../store/GroupCommit.js'

interface Op {
  kind: 'accept' | 'event'
  id: string
  key: string
  body: string
}
interface Candidate {
  commit(ops: readonly Op[]): Promise<Array<Outcome<number>>> | Array<Outcome<number>>
  close(): Promise<void> | void
}

const args = process.argv.slice(2)
const num = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? def : Number(args[i + 1])
}
const seconds = num('seconds', 3)
const runs = num('runs', 3)
const ALL = ['sqlite-full', 'sqlite-normal', 'sqlite-worker', 'lmdb', 'pglite']
const wanted = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'))
const engines = wanted.length ? wanted : ALL
const WRITERS = num('writers', 256)
const ok = (value: number): Outcome<number> => ({ ok: true, value })
const refused = (msg: string): Outcome<number> => ({ ok: false, error: new Error(msg) })

const SQL_SCHEMA = [
  'CREATE TABLE inbox (id TEXT PRIMARY KEY, idem_key TEXT UNIQUE, fingerprint TEXT, request TEXT NOT NULL)',
  'CREATE TABLE deliveries (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, last_seq INTEGER NOT NULL, snapshot TEXT NOT NULL)',
  'CREATE TABLE events (delivery_id TEXT NOT NULL, seq INTEGER NOT NULL, epoch INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (delivery_id, seq))',
  'CREATE TABLE outbox (pos INTEGER PRIMARY KEY)',
]

function sqlite(dir: string, synchronous: 'FULL' | 'NORMAL'): Candidate {
  const db = new Database(join(dir, 'bench.db'))
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  for (const s of SQL_SCHEMA) db.exec(s)
  const byKey = db.prepare<[string], { id: string }>('SELECT id FROM inbox WHERE idem_key = ?')
  const inbox = db.prepare('INSERT INTO inbox (id, idem_key, fingerprint, request) VALUES (?, ?, ?, ?)')
  const delivery = db.prepare("INSERT INTO deliveries (id, status, last_seq, snapshot) VALUES (?, 'Created', 0, ?)")
  const bump = db.prepare<[string, string], { last_seq: number }>(
    'UPDATE deliveries SET last_seq = last_seq + 1, snapshot = ? WHERE id = ? RETURNING last_seq',
  )
  const event = db.prepare('INSERT INTO events (delivery_id, seq, epoch, body) VALUES (?, ?, 1, ?)')
  const outbox = db.prepare('INSERT INTO outbox DEFAULT VALUES')
  const tx = db.transaction((ops: readonly Op[]) =>
    ops.map((op): Outcome<number> => {
      if (op.kind === 'accept') {
        if (byKey.get(op.key)) return refused('duplicate key')
        inbox.run(op.id, op.key, 'fp', op.body)
        return ok(Number(delivery.run(op.id, op.body).lastInsertRowid))
      }
      const row = bump.get(op.body, op.id)
      if (!row) return refused('no such delivery')
      event.run(op.id, row.last_seq, op.body)
      outbox.run()
      return ok(row.last_seq)
    }),
  )
  return {
    commit: (ops) => tx(ops),
    close: () => {
      db.close()
    },
  }
}

/** The same SQLite transaction in a worker thread: the main thread only posts the batch and reads the outcomes. */
function sqliteWorker(dir: string): Candidate {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads')
    const Database = require(workerData.module)
    const db = new Database(workerData.file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    for (const s of workerData.schema) db.exec(s)
    const byKey = db.prepare('SELECT id FROM inbox WHERE idem_key = ?')
    const inbox = db.prepare('INSERT INTO inbox (id, idem_key, fingerprint, request) VALUES (?, ?, ?, ?)')
    const delivery = db.prepare("INSERT INTO deliveries (id, status, last_seq, snapshot) VALUES (?, 'Created', 0, ?)")
    const bump = db.prepare('UPDATE deliveries SET last_seq = last_seq + 1, snapshot = ? WHERE id = ? RETURNING last_seq')
    const event = db.prepare('INSERT INTO events (delivery_id, seq, epoch, body) VALUES (?, ?, 1, ?)')
    const outbox = db.prepare('INSERT INTO outbox DEFAULT VALUES')
    const tx = db.transaction((ops) => ops.map((op) => {
      if (op.kind === 'accept') {
        if (byKey.get(op.key)) return { ok: false, error: 'duplicate key' }
        inbox.run(op.id, op.key, 'fp', op.body)
        return { ok: true, value: Number(delivery.run(op.id, op.body).lastInsertRowid) }
      }
      const row = bump.get(op.body, op.id)
      if (!row) return { ok: false, error: 'no such delivery' }
      event.run(op.id, row.last_seq, op.body)
      outbox.run()
      return { ok: true, value: row.last_seq }
    }))
    parentPort.on('message', (ops) => ops === null ? (db.close(), parentPort.close()) : parentPort.postMessage(tx(ops)))
  `
  const w = new Worker(src, {
    eval: true,
    execArgv: [],
    workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file: join(dir, 'bench.db'), schema: SQL_SCHEMA },
  })
  let failed: ((e: Error) => void) | undefined
  w.on('error', (e) => failed?.(e))
  return {
    commit: (ops) =>
      new Promise((resolve, reject) => {
        failed = reject
        w.once('message', (out: Array<{ ok: boolean; value?: number; error?: string }>) =>
          resolve(out.map((o) => (o.ok ? ok(o.value as number) : refused(o.error as string)))),
        )
        w.postMessage(ops)
      }),
    close: async () => {
      w.postMessage(null)
      await new Promise((r) => w.once('exit', r))
    },
  }
}

function lmdb(dir: string): Candidate {
  const root = openLmdb({ path: join(dir, 'bench.lmdb') })
  const inbox = root.openDB<string, string>({ name: 'inbox' })
  const keys = root.openDB<string, string>({ name: 'keys' })
  const deliveries = root.openDB<{ lastSeq: number; snapshot: string }, string>({ name: 'deliveries' })
  const events = root.openDB<string, [string, number]>({ name: 'events' })
  const outbox = root.openDB<boolean, number>({ name: 'outbox' })
  let pos = 0
  return {
    async commit(ops) {
      const out = await root.transaction(() =>
        ops.map((op): Outcome<number> => {
          if (op.kind === 'accept') {
            if (keys.get(op.key) !== undefined) return refused('duplicate key')
            void keys.put(op.key, op.id)
            void inbox.put(op.id, op.body)
            void deliveries.put(op.id, { lastSeq: 0, snapshot: op.body })
            return ok(0)
          }
          const d = deliveries.get(op.id)
          if (!d) return refused('no such delivery')
          const seq = d.lastSeq + 1
          void deliveries.put(op.id, { lastSeq: seq, snapshot: op.body })
          void events.put([op.id, seq], op.body)
          void outbox.put(++pos, true)
          return ok(seq)
        }),
      )
      await root.flushed
      return out
    },
    close: () => root.close(),
  }
}

async function pglite(dir: string): Promise<Candidate> {
  const db = await PGlite.create(join(dir, 'pgdata'))
  await db.exec(
    SQL_SCHEMA.join(';\n')
      .replace('n INTEGER PRIMARY KEY', 'n BIGSERIAL PRIMARY KEY')
      .replace('pos INTEGER PRIMARY KEY', 'pos BIGSERIAL PRIMARY KEY'),
  )
  return {
    commit: (ops) =>
      db.transaction(async (tx) => {
        const out: Array<Outcome<number>> = []
        for (const op of ops) {
          if (op.kind === 'accept') {
            const r = await tx.query(
              'INSERT INTO inbox (id, idem_key, fingerprint, request) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id',
              [op.id, op.key, 'fp', op.body],
            )
            if (r.rows.length === 0) {
              out.push(refused('duplicate key'))
              continue
            }
            await tx.query("INSERT INTO deliveries (id, status, last_seq, snapshot) VALUES ($1, 'Created', 0, $2)", [op.id, op.body])
            out.push(ok(0))
          } else {
            const r = await tx.query<{ last_seq: number }>(
              'UPDATE deliveries SET last_seq = last_seq + 1, snapshot = $1 WHERE id = $2 RETURNING last_seq',
              [op.body, op.id],
            )
            const seq = r.rows[0]?.last_seq
            if (seq === undefined) {
              out.push(refused('no such delivery'))
              continue
            }
            await tx.query('INSERT INTO events (delivery_id, seq, epoch, body) VALUES ($1, $2, 1, $3)', [op.id, seq, op.body])
            await tx.query('INSERT INTO outbox DEFAULT VALUES')
            out.push(ok(seq))
          }
        }
        return out
      }),
    close: () => db.close(),
  }
}

async function open(name: string, dir: string): Promise<Candidate> {
  switch (name) {
    case 'sqlite-full':
      return sqlite(dir, 'FULL')
    case 'sqlite-normal':
      return sqlite(dir, 'NORMAL')
    case 'sqlite-worker':
      return sqliteWorker(dir)
    case 'lmdb':
      return lmdb(dir)
    case 'pglite':
      return pglite(dir)
    default:
      throw new Error(`unknown engine ${name}; engines: ${ALL.join(', ')}`)
  }
}

const BODY = JSON.stringify({
  pickup: { lat: 47.61, lon: -122.33 },
  dropoff: { lat: 47.62, lon: -122.35 },
  weightKg: 1.2,
  deadline: null,
  status: 'Created',
})

/** WRITERS loops, each writing and awaiting its commit, for `seconds`; writes/s and the main thread's share inside commits. */
async function measure(c: Candidate, kind: Op['kind'], ids: string[]): Promise<{ rate: number; blocked: number; group: number }> {
  let busy = 0
  const gc = new GroupCommit<Op, number>((ops) => {
    const t = performance.now()
    const r = c.commit(ops)
    busy += performance.now() - t
    return r
  })
  let n = 0
  const began = performance.now()
  const end = began + seconds * 1000
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const id = kind === 'accept' ? `del-${w}-${i}` : (ids[(w * 7919 + i) % ids.length] as string)
        if (kind === 'accept') ids.push(id)
        await gc.submit({ kind, id, key: `key-${id}`, body: BODY })
        n++
      }
    }),
  )
  const wall = performance.now() - began
  return { rate: n / (wall / 1000), blocked: busy / wall, group: gc.writes / Math.max(1, gc.transactions) }
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en')
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number
for (const name of engines) {
  const res: Record<Op['kind'], Array<{ rate: number; blocked: number; group: number }>> = { accept: [], event: [] }
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(join(tmpdir(), `df-store-bench-${name}-`))
    try {
      const c = await open(name, dir)
      const ids: string[] = []
      res.accept.push(await measure(c, 'accept', ids))
      res.event.push(await measure(c, 'event', ids))
      await c.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  for (const kind of ['accept', 'event'] as const) {
    const xs = res[kind]
    const rates = xs.map((x) => x.rate)
    console.log(
      `store-engines ${name} ${kind}: ${fmt(median(rates))} /s committed (median of ${runs}; ${fmt(Math.min(...rates))}..${fmt(Math.max(...rates))}), ` +
        `group ~${fmt(median(xs.map((x) => x.group)))}, main thread in commits ${Math.round(100 * median(xs.map((x) => x.blocked)))}%`,
    )
  }
}
