import type Database from 'better-sqlite3'
import { storeUnavailable } from './storeErrors.js'

/**
 * The embedded store's schema, as numbered migrations. A migration is never
 * edited once released: a change is a new one at the end. Applied at open,
 * in one transaction, and recorded in schema_migrations.
 */
export const SQLITE_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
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
        accepted_at INTEGER NOT NULL
      );
      -- n is the creation order: lists page by it, newest first.
      CREATE TABLE deliveries (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        region TEXT NOT NULL,
        status TEXT NOT NULL,
        terminal INTEGER NOT NULL,
        body TEXT NOT NULL,
        engine_state TEXT
      );
      CREATE INDEX deliveries_by_status ON deliveries (status, n);
      CREATE INDEX deliveries_open ON deliveries (region) WHERE terminal = 0;
      CREATE TABLE events (
        pos INTEGER PRIMARY KEY,
        delivery_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (delivery_id, seq)
      );
      CREATE TABLE outbox (pos INTEGER PRIMARY KEY, region TEXT NOT NULL);
      CREATE TABLE fences (region TEXT PRIMARY KEY, epoch INTEGER NOT NULL);
      CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'leases',
    sql: `
      CREATE TABLE leases (region TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
    `,
  },
  {
    version: 3,
    name: 'learned',
    sql: `
      CREATE TABLE learned (region TEXT PRIMARY KEY, state TEXT NOT NULL, saved_at INTEGER NOT NULL);
    `,
  },
]

/** Brings the database to the latest schema; refuses one written by a newer version. */
export function migrateSqlite(db: Database.Database, now: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  db.transaction(() => {
    const row = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations').get()
    const at = row?.v ?? 0
    const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]?.version ?? 0
    if (at > latest)
      throw storeUnavailable(`the store's schema is version ${at}, newer than this dronefleet knows (${latest}); use a newer dronefleet`)
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    for (const m of SQLITE_MIGRATIONS) {
      if (m.version <= at) continue
      db.exec(m.sql)
      record.run(m.version, m.name, now)
    }
  }).immediate()
}
