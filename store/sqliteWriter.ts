/**
 * The embedded store's writer thread: it owns the one write connection and
 * commits each batch the main thread posts in one transaction, so neither
 * the SQL nor the fsync holds up the main thread's event loop.
 *
 * main → here: {type:'batch', id, ops} | {type:'close'}
 * here → main: {type:'ready'} | {type:'failed', message} | {type:'done', id, outcomes} | {type:'error', id, message}
 */
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { DronefleetError, ErrorCodes, type ErrorCode } from '../protocol/errors.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { applyWrite, type WriteTables } from './applyWrite.js'
import { migrateSqlite } from './sqliteSchema.js'
import { DEFAULT_REGION, type StoredDelivery } from './Store.js'
import type { WriteOp, WriteResult } from './writeOps.js'

export interface WriterData {
  role: 'dronefleet-sqlite-writer'
  file: string
  now: number
}

/** An outcome as it crosses threads: errors travel as code and message. */
export type WireOutcome = { ok: true; value: WriteResult } | { ok: false; code: ErrorCode; message: string }

export type ToWriter = { type: 'batch'; id: number; ops: WriteOp[] } | { type: 'close' }
export type FromWriter =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'done'; id: number; outcomes: WireOutcome[] }
  | { type: 'error'; id: number; message: string }

/** Opens the file with the settings every connection needs: WAL, and fsync at every commit. */
export function openSqlite(file: string, options: Database.Options = {}): Database.Database {
  const db = new Database(file, options)
  db.pragma('busy_timeout = 5000')
  if (!options.readonly) {
    db.pragma('journal_mode = WAL')
    // FULL: the WAL is fsynced at every commit, so a commit survives power loss, not only SIGKILL.
    db.pragma('synchronous = FULL')
  }
  return db
}

function tables(db: Database.Database): WriteTables {
  const s = {
    inboxByKey: db.prepare<[string], { id: string; fingerprint: string }>('SELECT id, fingerprint FROM inbox WHERE idem_key = ?'),
    inboxById: db.prepare<[string], { fingerprint: string }>('SELECT fingerprint FROM inbox WHERE id = ?'),
    insertInbox: db.prepare('INSERT INTO inbox (id, idem_key, fingerprint, region, request, accepted_at) VALUES (?, ?, ?, ?, ?, ?)'),
    delivery: db.prepare<[string], { body: string }>('SELECT body FROM deliveries WHERE id = ?'),
    insertDelivery: db.prepare('INSERT INTO deliveries (id, region, status, terminal, body) VALUES (?, ?, ?, 0, ?)'),
    updateDelivery: db.prepare('UPDATE deliveries SET status = ?, terminal = ?, body = ? WHERE id = ?'),
    updateDeliveryState: db.prepare('UPDATE deliveries SET status = ?, terminal = ?, body = ?, engine_state = ? WHERE id = ?'),
    lease: db.prepare<[string], { holder: string; expiresAt: number }>(
      'SELECT holder, expires_at AS expiresAt FROM leases WHERE region = ?',
    ),
    setLease: db.prepare(
      'INSERT INTO leases (region, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (region) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at',
    ),
    fence: db.prepare<[string], { epoch: number }>('SELECT epoch FROM fences WHERE region = ?'),
    setFence: db.prepare('INSERT INTO fences (region, epoch) VALUES (?, ?) ON CONFLICT (region) DO UPDATE SET epoch = excluded.epoch'),
    insertEvent: db.prepare('INSERT INTO events (delivery_id, seq, epoch, body) VALUES (?, ?, ?, ?)'),
    insertOutbox: db.prepare('INSERT INTO outbox (pos, region) VALUES (?, ?)'),
    deleteOutbox: db.prepare('DELETE FROM outbox WHERE pos = ?'),
    setLearned: db.prepare(
      'INSERT INTO learned (region, state, saved_at) VALUES (?, ?, ?) ON CONFLICT (region) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at',
    ),
    secret: db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?'),
    insertSecret: db.prepare('INSERT INTO secrets (name, value) VALUES (?, ?)'),
  }
  const terminal = (d: StoredDelivery): number => (d.status === 'Completed' || d.status === 'Cancelled' || d.status === 'Failed' ? 1 : 0)
  return {
    inboxByKey: (key) => s.inboxByKey.get(key),
    inboxById: (id) => s.inboxById.get(id),
    insertInbox: (op) => {
      const { order, idempotencyKey, fingerprint } = op.input
      s.insertInbox.run(order.id, idempotencyKey, fingerprint, op.input.region ?? DEFAULT_REGION, JSON.stringify(order), op.now)
    },
    delivery: (id) => {
      const row = s.delivery.get(id)
      return row && (JSON.parse(row.body) as StoredDelivery)
    },
    insertDelivery: (d) => void s.insertDelivery.run(d.id, d.region, d.status, JSON.stringify(d)),
    updateDelivery: (d, engineState) => {
      if (engineState === undefined) s.updateDelivery.run(d.status, terminal(d), JSON.stringify(d), d.id)
      else s.updateDeliveryState.run(d.status, terminal(d), JSON.stringify(d), engineState, d.id)
    },
    lease: (region) => s.lease.get(region),
    setLease: (region, holder, expiresAt) => void s.setLease.run(region, holder, expiresAt),
    fence: (region) => s.fence.get(region)?.epoch,
    setFence: (region, epoch) => void s.setFence.run(region, epoch),
    insertEvent: (region: string, seq: number, epoch: number, e: DeliveryEvent) => {
      const pos = Number(s.insertEvent.run(e.deliveryId, seq, epoch, JSON.stringify(e)).lastInsertRowid)
      s.insertOutbox.run(pos, region)
      return pos
    },
    deleteOutbox: (positions) => {
      for (const p of positions) s.deleteOutbox.run(p)
    },
    setLearned: (region, state, savedAt) => void s.setLearned.run(region, state, savedAt),
    storedSecret: (name) => s.secret.get(name)?.value,
    insertSecret: (name, value) => void s.insertSecret.run(name, value),
  }
}

function wire(o: ReturnType<typeof applyWrite>): WireOutcome {
  if (o.ok) return o
  const code = o.error instanceof DronefleetError ? o.error.code : ErrorCodes.INTERNAL
  return { ok: false, code, message: o.error.message }
}

const data = workerData as WriterData | null
// Only when started as the writer: the main thread imports openSqlite from here too.
if (parentPort && data?.role === 'dronefleet-sqlite-writer') {
  const port = parentPort
  let db: Database.Database
  try {
    db = openSqlite(data.file)
    migrateSqlite(db, data.now)
  } catch (err) {
    port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies FromWriter)
    process.exit(1)
  }
  const t = tables(db)
  const commit = db.transaction((ops: WriteOp[]) => ops.map((op) => wire(applyWrite(t, op))))
  port.on('message', (m: ToWriter) => {
    if (m.type === 'close') {
      db.close()
      port.close()
      return
    }
    try {
      port.postMessage({ type: 'done', id: m.id, outcomes: commit(m.ops) } satisfies FromWriter)
    } catch (err) {
      port.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies FromWriter)
    }
  })
  port.postMessage({ type: 'ready' } satisfies FromWriter)
}
