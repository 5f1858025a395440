import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'

/** A database on the PostgreSQL server the tests may create databases from (trust auth on this machine). */
export const POSTGRES_ADMIN_URL = process.env.DRONEFLEET_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function reachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 })
  try {
    await c.connect()
    await c.query('SELECT 1')
    return null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  } finally {
    await c.end().catch(() => undefined)
  }
}

/**
 * Whether tests that need PostgreSQL may run. Under CI a server that cannot
 * be reached is a failure, so a green run always includes these tests;
 * elsewhere the test is skipped with a visible notice.
 */
export async function requirePostgres(t: Test): Promise<boolean> {
  const problem = await reachable()
  if (problem === null) return true
  const why = `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL} (${problem})`
  if (process.env.CI === 'true') {
    t.fail(`${why}; CI needs it (set DRONEFLEET_TEST_POSTGRES to another server's URL)`)
    return false
  }
  process.stderr.write(`\nNOTICE: ${why}; skipping "${t.name}"\n`)
  t.comment(`NOTICE: ${why}; skipped`)
  t.skip(why, () => undefined)
  return false
}

/** A fresh database of the test's own, dropped when the test ends; its URL. */
export async function tempDatabase(t: Test): Promise<string> {
  const name = `dronefleet_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
    await c.connect()
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    } finally {
      await c.end()
    }
  })
  const u = new URL(POSTGRES_ADMIN_URL)
  u.pathname = `/${name}`
  return u.toString()
}
