import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { MemoryStore } from './MemoryStore.js'
import { PostgresStore } from './PostgresStore.js'
import { SqliteStore } from './SqliteStore.js'
import type { Store, StoreOptions } from './Store.js'

/**
 * Opens the store a spec names: `postgres://…` (or `postgresql://…`) →
 * PostgreSQL, `:memory:` → in memory, anything else → the embedded store
 * in that directory (created if missing). Migrates at open; a store that
 * cannot be opened or migrated throws DF_STORE_UNAVAILABLE with the reason.
 */
export async function openStore(spec: string, o: StoreOptions = {}): Promise<Store> {
  if (spec === ':memory:') return new MemoryStore(o)
  if (/^postgres(ql)?:\/\//i.test(spec)) return PostgresStore.open(spec, o)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new DronefleetError(
      ErrorCodes.STORE_UNAVAILABLE,
      `unknown store ${JSON.stringify(spec)}: give a directory, postgres://… or :memory:`,
      'store',
      spec,
    )
  }
  if (spec.trim() === '') throw new DronefleetError(ErrorCodes.STORE_UNAVAILABLE, 'the store directory is empty', 'store', spec)
  return SqliteStore.open(spec, o)
}
