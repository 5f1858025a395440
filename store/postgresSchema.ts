import type { PoolClient } from 'pg'
import { storeUnavailable } from './storeErrors.js'

/**
 * The PostgreSQL store's schema, as numbered migrations (never edited once
 * released; a change is a new one at the end). Applied at open in one
 * transaction under an advisory lock, so processes starting together
 * migrate once; recorded in schema_migrations.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'inbox, deliveries, events, outbox, fences, secrets',
    sql: `
      CREATE TABLE inbox (
        id TEXT PRIMARY KEY,
        idem_key TEXT UNIQUE,
        fingerprint TEXT NOT NULL,
        region TEXT NOT NULL,
        request TEXT NOT NULL,
        accepted_at BIGINT NOT NULL
      );
      -- n is the creation order: lists page by it, newest first.
      CREATE TABLE deliveries (
        n BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        region TEXT NOT NULL,
        status TEXT NOT NULL,
        terminal BOOLEAN NOT NULL,
        body TEXT NOT NULL,
        engine_state TEXT
      );
      CREATE INDEX deliveries_by_status ON deliveries (status, n);
      CREATE INDEX deliveries_open ON deliveries (region) WHERE NOT terminal;
      CREATE TABLE events (
        pos BIGSERIAL PRIMARY KEY,
        delivery_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        epoch BIGINT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (delivery_id, seq)
      );
      CREATE TABLE outbox (pos BIGINT PRIMARY KEY, region TEXT NOT NULL);
      CREATE TABLE fences (region TEXT PRIMARY KEY, epoch BIGINT NOT NULL);
      CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'leases',
    sql: `
      CREATE TABLE leases (region TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);
    `,
  },
  {
    version: 3,
    name: 'learned',
    sql: `
      CREATE TABLE learned (region TEXT PRIMARY KEY, state TEXT NOT NULL, saved_at BIGINT NOT NULL);
    `,
  },
]

/** Any constant: the advisory lock that serialises migrations of one database. */
const MIGRATION_LOCK = 7_214_001

export async function migratePostgres(c: PoolClient, now: number): Promise<void> {
  await c.query('BEGIN')
  try {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await c.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    )
    const at = Number((await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0)
    const latest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]?.version ?? 0
    if (at > latest)
      throw storeUnavailable(`the store's schema is version ${at}, newer than this dronefleet knows (${latest}); use a newer dronefleet`)
    for (const m of POSTGRES_MIGRATIONS) {
      if (m.version <= at) continue
      await c.query(m.sql)
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now])
    }
    await c.query('COMMIT')
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}
