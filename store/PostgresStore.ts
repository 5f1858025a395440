import pg from 'pg'
import type { DeliveryEvent } from '../protocol/events.js'
import { applyWrite } from './applyWrite.js'
import { connectionLost } from './connectionLost.js'
import { flushStaged } from './flushStaged.js'
import type { Outcome } from './GroupCommit.js'
import { GroupCommittedStore } from './GroupCommittedStore.js'
import { listBounds, nextCursor } from './listCursor.js'
import { migratePostgres } from './postgresSchema.js'
import { redactUrl } from './redactUrl.js'
import { StagedTables } from './StagedTables.js'
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

type Client = pg.PoolClient
interface EventRow {
  pos: string
  seq: number
  epoch: string
  body: string
}
const logged = (r: EventRow): LoggedEvent => ({
  pos: Number(r.pos),
  seq: r.seq,
  epoch: Number(r.epoch),
  event: JSON.parse(r.body) as DeliveryEvent,
})

/** The database's clock in ms since the epoch (leases are timed by it). */
const DB_NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint'

/** A group that met another process's concurrent write (a unique key, a deadlock) is run again from the start. */
const RETRYABLE = new Set(['23505', '40P01', '40001'])
const MAX_ATTEMPTS = 5

/**
 * The store in PostgreSQL, shared by every process that opens the same
 * database. A group of writes is one transaction: the rows it touches are
 * loaded (locked) with a few set-based queries, applyWrite runs on them in
 * memory (StagedTables), and the changes are written back set-based, so a
 * group of hundreds costs about a dozen round trips and one WAL flush. A
 * group that collides with another process's (a unique key, a deadlock) is
 * retried whole; the idempotency key then finds the other's delivery.
 */
export class PostgresStore extends GroupCommittedStore implements Store {
  readonly backend = 'postgres'
  /** Groups retried after a collision with another process, for tests and metrics. */
  retries = 0
  private closing: Promise<void> | null = null

  private constructor(
    private readonly pool: pg.Pool,
    now: () => number,
    o: StoreOptions,
  ) {
    super(now, o)
  }

  /** Connects and migrates; DF_STORE_UNAVAILABLE with the reason when it cannot. */
  static async open(url: string, o: StoreOptions = {}): Promise<PostgresStore> {
    const now = o.now ?? Date.now
    const pool = new pg.Pool({ connectionString: url, max: 6, connectionTimeoutMillis: 10_000 })
    // An idle client's error (the server went away) surfaces on the next query; without a listener it would crash the process.
    pool.on('error', () => undefined)
    try {
      const c = await pool.connect()
      let broken: Error | undefined
      const onError = (e: Error): void => {
        broken ??= e
      }
      c.on('error', onError)
      try {
        await migratePostgres(c, now())
      } finally {
        c.off('error', onError)
        c.release(broken)
      }
    } catch (err) {
      await pool.end().catch(() => undefined)
      throw storeUnavailable(`cannot open the PostgreSQL store ${redactUrl(url)}`, err)
    }
    return new PostgresStore(pool, now, o)
  }

  protected async commit(ops: readonly WriteOp[]): Promise<Array<Outcome<WriteResult>>> {
    for (let attempt = 1; ; attempt++) {
      let c: Client
      try {
        c = await this.pool.connect()
      } catch (err) {
        throw storeUnavailable('PostgreSQL is unreachable', err)
      }
      let broken: Error | undefined
      let committing = false
      // A checked-out client reports a cut socket as an 'error' event too: without a listener it would crash the process.
      const onError = (e: Error): void => {
        broken ??= e
      }
      c.on('error', onError)
      try {
        await c.query('BEGIN')
        const outcomes = await this.stageAndFlush(c, ops)
        committing = true
        await c.query('COMMIT')
        return outcomes
      } catch (err) {
        await c.query('ROLLBACK').catch((e: Error) => {
          broken = e
        })
        // Before COMMIT was sent nothing of the group is in: it can run again, on a new connection if this one was cut.
        // After, its fate is unknown, and only idempotent writes could be retried: the callers are told instead.
        const again = !committing && (RETRYABLE.has(String((err as { code?: string }).code)) || connectionLost(err) || broken !== undefined)
        if (again && attempt < MAX_ATTEMPTS) {
          this.retries++
          continue
        }
        throw storeUnavailable(
          committing ? 'PostgreSQL failed during COMMIT (the group may or may not be committed)' : 'PostgreSQL could not commit',
          err,
        )
      } finally {
        c.off('error', onError)
        c.release(broken)
      }
    }
  }

  /** Loads what the batch touches, applies it, writes the changes back; the outcomes in op order. */
  private async stageAndFlush(c: Client, ops: readonly WriteOp[]): Promise<Array<Outcome<WriteResult>>> {
    const ids = new Set<string>()
    const keys: string[] = []
    const regions = new Set<string>()
    const leases = new Set<string>()
    const names: string[] = []
    let events = 0
    let creations = 0
    for (const op of ops) {
      if (op.type === 'accept') {
        ids.add(op.input.order.id)
        if (op.input.idempotencyKey !== null) keys.push(op.input.idempotencyKey)
        creations++
      } else if (op.type === 'append') {
        ids.add(op.event.deliveryId)
        regions.add(op.writer.region)
        events++
        if (op.event.type === 'DeliveryCreated') creations++
      } else if (op.type === 'engineState') {
        ids.add(op.id)
        regions.add(op.writer.region)
      } else if (op.type === 'learned') regions.add(op.writer.region)
      else if (op.type === 'lease' || op.type === 'release') {
        regions.add(op.region)
        leases.add(op.region)
      } else if (op.type === 'change') ids.add(op.id)
      else if (op.type === 'claim') regions.add(op.region)
      else if (op.type === 'secret') names.push(op.name)
    }
    const reserve = async (seq: string, count: number): Promise<number[]> =>
      count === 0
        ? []
        : (await c.query<{ v: string }>(`SELECT nextval('${seq}') AS v FROM generate_series(1, $1)`, [count])).rows
            .map((r) => Number(r.v))
            .sort((a, b) => a - b)
    const t = new StagedTables(await reserve('events_pos_seq', events), await reserve('deliveries_n_seq', creations))
    const idList = [...ids]
    if (creations > 0) {
      const rows = await c.query<{ id: string; idem_key: string | null; fingerprint: string }>(
        'SELECT id, idem_key, fingerprint FROM inbox WHERE id = ANY($1) OR idem_key = ANY($2)',
        [idList, keys],
      )
      for (const r of rows.rows) t.loadInbox(r.id, r.idem_key, r.fingerprint)
    }
    if (idList.length > 0) {
      // In id order, so that two processes lock the same rows in the same order.
      const rows = await c.query<{ n: string; body: string }>(
        'SELECT n, body FROM deliveries WHERE id = ANY($1) OR id IN (SELECT id FROM inbox WHERE idem_key = ANY($2)) ORDER BY id FOR UPDATE',
        [idList, keys],
      )
      for (const r of rows.rows) t.loadDelivery(Number(r.n), JSON.parse(r.body) as StoredDelivery)
    }
    if (regions.size > 0) {
      const rows = await c.query<{ region: string; epoch: string }>(
        'SELECT region, epoch FROM fences WHERE region = ANY($1) ORDER BY region FOR UPDATE',
        [[...regions]],
      )
      for (const r of rows.rows) t.fences.set(r.region, { epoch: Number(r.epoch), existed: true, changed: false })
    }
    if (names.length > 0) {
      const rows = await c.query<{ name: string; value: string }>('SELECT name, value FROM secrets WHERE name = ANY($1)', [names])
      for (const r of rows.rows) t.secrets.set(r.name, { value: r.value, isNew: false })
    }

    let dbNow: number | undefined
    if (leases.size > 0) {
      const rows = await c.query<{ region: string; holder: string; expires_at: string }>(
        'SELECT region, holder, expires_at FROM leases WHERE region = ANY($1) ORDER BY region FOR UPDATE',
        [[...leases]],
      )
      for (const r of rows.rows)
        t.leases.set(r.region, { holder: r.holder, expiresAt: Number(r.expires_at), existed: true, changed: false })
      // Leases are timed by the database's clock: engines on several hosts need not agree on the time.
      dbNow = Number((await c.query<{ now: string }>(`SELECT ${DB_NOW} AS now`)).rows[0]?.now)
    }
    const outcomes = ops.map((op) => applyWrite(t, op.type === 'lease' && dbNow !== undefined ? { ...op, now: dbNow } : op))
    await flushStaged(c, t)
    return outcomes
  }

  private async read<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.query<R>(sql, params)).rows
      } catch (err) {
        // A read is safe to repeat: a pooled connection that was cut is replaced.
        if (connectionLost(err) && attempt < MAX_ATTEMPTS) continue
        throw storeUnavailable('PostgreSQL could not answer', err)
      }
    }
  }

  /** secret() calls under way, by name: callers in this process wait for the first, so it is the one offered. */
  private readonly secretCalls = new Map<string, Promise<string>>()

  secret(name: string, generate: () => string): Promise<string> {
    const running = this.secretCalls.get(name)
    if (running) return running
    const call = this.storeSecret(name, generate).finally(() => this.secretCalls.delete(name))
    this.secretCalls.set(name, call)
    return call
  }

  private async storeSecret(name: string, generate: () => string): Promise<string> {
    const known = await this.read<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [name])
    if (known[0]) return known[0].value
    // Racing processes (or groups) each offer theirs; the first committed stays, and everyone reads it back in a snapshot taken after.
    await this.read('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, generate()])
    const won = await this.read<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [name])
    return won[0]!.value
  }

  async learned(region: string): Promise<string | undefined> {
    return (await this.read<{ state: string }>('SELECT state FROM learned WHERE region = $1', [region]))[0]?.state
  }

  async leases(): Promise<{ now: number; leases: Lease[] }> {
    const rows = await this.read<{ region: string; holder: string; epoch: string; expires_at: string; now: string }>(
      `SELECT l.region, l.holder, COALESCE(f.epoch, 0) AS epoch, l.expires_at, ${DB_NOW} AS now
         FROM leases l LEFT JOIN fences f ON f.region = l.region ORDER BY l.region`,
      [],
    )
    const now = rows[0] ? Number(rows[0].now) : Number((await this.read<{ now: string }>(`SELECT ${DB_NOW} AS now`, []))[0]?.now)
    return {
      now,
      leases: rows.map((r) => ({ region: r.region, holder: r.holder, epoch: Number(r.epoch), expiresAt: Number(r.expires_at) })),
    }
  }

  async unpublished(q: { region?: string; limit?: number } = {}): Promise<LoggedEvent[]> {
    const rows = await this.read<EventRow>(
      'SELECT e.pos, e.seq, e.epoch, e.body FROM outbox o JOIN events e ON e.pos = o.pos WHERE ($1::text IS NULL OR o.region = $1) ORDER BY o.pos LIMIT $2',
      [q.region ?? null, q.limit ?? 1000],
    )
    return rows.map(logged)
  }

  async get(id: string): Promise<DeliveryDetail | undefined> {
    const rows = await this.read<{ body: string }>('SELECT body FROM deliveries WHERE id = $1', [id])
    const row = rows[0]
    if (!row) return undefined
    return { ...(JSON.parse(row.body) as StoredDelivery), history: (await this.events(id)).map((l) => l.event) }
  }

  async events(id: string, afterSeq = 0): Promise<LoggedEvent[]> {
    return (
      await this.read<EventRow>('SELECT pos, seq, epoch, body FROM events WHERE delivery_id = $1 AND seq > $2 ORDER BY seq', [id, afterSeq])
    ).map(logged)
  }

  async list(q: ListQuery): Promise<StorePage> {
    const { limit, before } = listBounds(q)
    const rows = await this.read<{ n: string; body: string }>(
      'SELECT n, body FROM deliveries WHERE n < $1 AND ($2::text IS NULL OR status = $2) ORDER BY n DESC LIMIT $3',
      [before, q.status ?? null, limit],
    )
    const last = rows[rows.length - 1]
    return { items: rows.map((r) => JSON.parse(r.body) as StoredDelivery), next: nextCursor(rows.length, limit, last && Number(last.n)) }
  }

  async openDeliveries(region?: string): Promise<OpenDelivery[]> {
    const rows = await this.read<{ body: string; engine_state: string | null }>(
      'SELECT body, engine_state FROM deliveries WHERE NOT terminal AND ($1::text IS NULL OR region = $1)',
      [region ?? null],
    )
    return rows.map((r) => ({ delivery: JSON.parse(r.body) as StoredDelivery, engineState: r.engine_state }))
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writes.drain()
      await this.pool.end()
    })()
    return this.closing
  }
}
