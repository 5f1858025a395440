import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'
import { DronefleetError } from '../protocol/errors.js'
import type { DeliveryEvent } from '../protocol/events.js'
import type { Outcome } from './GroupCommit.js'
import { GroupCommittedStore } from './GroupCommittedStore.js'
import { listBounds, nextCursor } from './listCursor.js'
import { openSqlite, type FromWriter, type ToWriter, type WireOutcome, type WriterData } from './sqliteWriter.js'
import type {
  DeliveryDetail,
  Lease,
  ListQuery,
  LoggedEvent,
  OpenDelivery,
  Store,
  StoredDelivery,
  StoreOptions,
  StorePage,
} from './Store.js'
import { storeUnavailable } from './storeErrors.js'
import type { WriteOp, WriteResult } from './writeOps.js'

export const SQLITE_FILE = 'store.db'

interface EventRow {
  pos: number
  seq: number
  epoch: number
  body: string
}
const logged = (r: EventRow): LoggedEvent => ({ pos: r.pos, seq: r.seq, epoch: r.epoch, event: JSON.parse(r.body) as DeliveryEvent })

/**
 * The embedded store: one SQLite file (WAL, synchronous=FULL) in a data
 * directory. Writes are group-committed by a writer thread
 * (store/sqliteWriter.ts); reads run on the calling thread through a
 * read-only connection, which sees every committed write.
 */
export class SqliteStore extends GroupCommittedStore implements Store {
  readonly backend = 'embedded'
  private batchId = 0
  private waiting: { id: number; settle: (m: FromWriter) => void } | null = null
  private closed = false
  /** Why the writer thread is gone, when it died: every later write fails at once with it. */
  private dead: string | null = null
  private closing: Promise<void> | null = null

  private constructor(
    private readonly worker: Worker,
    private readonly db: Database.Database,
    now: () => number,
    readonly file: string,
    o: StoreOptions,
  ) {
    super(now, o)
    worker.on('message', (m: FromWriter) => {
      if ((m.type === 'done' || m.type === 'error') && this.waiting?.id === m.id) this.waiting.settle(m)
    })
    worker.on('error', (err) => {
      this.dead ??= err.message
      this.waiting?.settle({ type: 'error', id: this.waiting.id, message: err.message })
    })
    worker.on('exit', (code) => {
      if (this.closed) return
      this.dead ??= `the writer thread exited (${code})`
      this.waiting?.settle({ type: 'error', id: this.waiting.id, message: this.dead })
    })
  }

  /** Opens (creating and migrating as needed) the store in `dir`; DF_STORE_UNAVAILABLE when it cannot. */
  static async open(dir: string, o: StoreOptions = {}): Promise<SqliteStore> {
    const now = o.now ?? Date.now
    const file = join(resolve(dir), SQLITE_FILE)
    try {
      mkdirSync(dir, { recursive: true })
    } catch (err) {
      throw storeUnavailable(`cannot create the data directory ${dir}`, err)
    }
    const data: WriterData = { role: 'dronefleet-sqlite-writer', file, now: now() }
    // No execArgv: the writer needs none of the parent's flags or loaders (a test runner's take a second to start).
    const worker = new Worker(new URL('./sqliteWriter.js', import.meta.url), { workerData: data, execArgv: [] })
    const first = await new Promise<FromWriter>((settle) => {
      const onError = (err: Error): void => settle({ type: 'failed', message: err.message })
      const onExit = (code: number): void => settle({ type: 'failed', message: `the writer thread exited (${code})` })
      worker.once('message', (m: FromWriter) => {
        // Only the listeners added here: the Worker keeps listeners of its own (removeAllListeners would stop its port).
        worker.off('error', onError)
        worker.off('exit', onExit)
        settle(m)
      })
      worker.once('error', onError)
      worker.once('exit', onExit)
    })
    if (first.type !== 'ready') {
      await worker.terminate()
      throw storeUnavailable(`cannot open the store ${file}`, first.type === 'failed' ? first.message : 'unexpected message')
    }
    let db: Database.Database
    try {
      db = openSqlite(file, { readonly: true, fileMustExist: true })
    } catch (err) {
      worker.postMessage({ type: 'close' } satisfies ToWriter)
      throw storeUnavailable(`cannot read the store ${file}`, err)
    }
    return new SqliteStore(worker, db, now, file, o)
  }

  protected commit(ops: readonly WriteOp[]): Promise<Array<Outcome<WriteResult>>> {
    if (this.closed) return Promise.reject(storeUnavailable('the store is closed'))
    if (this.dead !== null) return Promise.reject(storeUnavailable('the embedded store cannot write', this.dead))
    const id = ++this.batchId
    return new Promise((resolve, reject) => {
      this.waiting = {
        id,
        settle: (m) => {
          this.waiting = null
          if (m.type === 'done') resolve(m.outcomes.map(unwire))
          else
            reject(storeUnavailable('the embedded store could not commit', m.type === 'error' || m.type === 'failed' ? m.message : m.type))
        },
      }
      this.worker.postMessage({ type: 'batch', id, ops: ops as WriteOp[] } satisfies ToWriter)
    })
  }

  private readonly statements = new Map<string, Database.Statement>()

  /** A prepared read statement, prepared once. */
  private stmt<P extends unknown[], R>(sql: string): Database.Statement<P, R> {
    let st = this.statements.get(sql)
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)))
    return st as unknown as Database.Statement<P, R>
  }

  async secret(name: string, generate: () => string): Promise<string> {
    const known = this.stmt<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?').get(name)
    return known?.value ?? this.write({ type: 'secret', name, value: generate() })
  }

  async learned(region: string): Promise<string | undefined> {
    return this.stmt<[string], { state: string }>('SELECT state FROM learned WHERE region = ?').get(region)?.state
  }

  async leases(): Promise<{ now: number; leases: Lease[] }> {
    const rows = this.stmt<[], Lease>(
      'SELECT l.region, l.holder, COALESCE(f.epoch, 0) AS epoch, l.expires_at AS expiresAt FROM leases l LEFT JOIN fences f ON f.region = l.region ORDER BY l.region',
    ).all()
    return { now: this.now(), leases: rows }
  }

  async unpublished(q: { region?: string; limit?: number } = {}): Promise<LoggedEvent[]> {
    const limit = q.limit ?? 1000
    const rows =
      q.region === undefined
        ? this.stmt<[number], EventRow>(
            'SELECT e.pos, e.seq, e.epoch, e.body FROM outbox o JOIN events e ON e.pos = o.pos ORDER BY o.pos LIMIT ?',
          ).all(limit)
        : this.stmt<[string, number], EventRow>(
            'SELECT e.pos, e.seq, e.epoch, e.body FROM outbox o JOIN events e ON e.pos = o.pos WHERE o.region = ? ORDER BY o.pos LIMIT ?',
          ).all(q.region, limit)
    return rows.map(logged)
  }

  async get(id: string): Promise<DeliveryDetail | undefined> {
    const row = this.stmt<[string], { body: string }>('SELECT body FROM deliveries WHERE id = ?').get(id)
    if (!row) return undefined
    return { ...(JSON.parse(row.body) as StoredDelivery), history: (await this.events(id)).map((l) => l.event) }
  }

  async events(id: string, afterSeq = 0): Promise<LoggedEvent[]> {
    return this.stmt<[string, number], EventRow>('SELECT pos, seq, epoch, body FROM events WHERE delivery_id = ? AND seq > ? ORDER BY seq')
      .all(id, afterSeq)
      .map(logged)
  }

  async list(q: ListQuery): Promise<StorePage> {
    const { limit, before } = listBounds(q)
    const rows =
      q.status === undefined
        ? this.stmt<[number, number], { n: number; body: string }>(
            'SELECT n, body FROM deliveries WHERE n < ? ORDER BY n DESC LIMIT ?',
          ).all(before, limit)
        : this.stmt<[string, number, number], { n: number; body: string }>(
            'SELECT n, body FROM deliveries WHERE status = ? AND n < ? ORDER BY n DESC LIMIT ?',
          ).all(q.status, before, limit)
    return { items: rows.map((r) => JSON.parse(r.body) as StoredDelivery), next: nextCursor(rows.length, limit, rows[rows.length - 1]?.n) }
  }

  async openDeliveries(region?: string): Promise<OpenDelivery[]> {
    type Row = { body: string; engine_state: string | null }
    const rows =
      region === undefined
        ? this.stmt<[], Row>('SELECT body, engine_state FROM deliveries WHERE terminal = 0').all()
        : this.stmt<[string], Row>('SELECT body, engine_state FROM deliveries WHERE terminal = 0 AND region = ?').all(region)
    return rows.map((r) => ({ delivery: JSON.parse(r.body) as StoredDelivery, engineState: r.engine_state }))
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writes.drain()
      this.closed = true
      if (this.dead === null) {
        const exited = new Promise((resolve) => this.worker.once('exit', resolve))
        this.worker.postMessage({ type: 'close' } satisfies ToWriter)
        await exited
      }
      this.db.close()
    })()
    return this.closing
  }
}

function unwire(o: WireOutcome): Outcome<WriteResult> {
  return o.ok ? o : { ok: false, error: new DronefleetError(o.code, o.message) }
}
