import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** The PostgreSQL server the store benches create their databases on. */
export const BENCH_POSTGRES = process.env.DRONEFLEET_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export type BenchBackend = 'memory' | 'embedded' | 'postgres'

/** A fresh store spec of one backend and the function that removes it; undefined when PostgreSQL is unreachable. */
export async function tempStore(backend: BenchBackend): Promise<{ spec: string; remove: () => Promise<void> } | undefined> {
  if (backend === 'memory') return { spec: ':memory:', remove: async () => undefined }
  if (backend === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'df-store-bench-'))
    return { spec: dir, remove: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const name = `dronefleet_bench_${randomBytes(5).toString('hex')}`
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: BENCH_POSTGRES, connectionTimeoutMillis: 3000 })
    await c.connect()
    try {
      await c.query(sql)
    } finally {
      await c.end()
    }
  }
  try {
    await admin(`CREATE DATABASE ${name}`)
  } catch (err) {
    console.log(`postgres: skipped, ${BENCH_POSTGRES} is unreachable (${err instanceof Error ? err.message : String(err)})`)
    return undefined
  }
  const u = new URL(BENCH_POSTGRES)
  u.pathname = `/${name}`
  return { spec: u.toString(), remove: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number
export const fmt = (x: number): string => Math.round(x).toLocaleString('en')
/** "median (min..max, n runs)". */
export const spread = (xs: number[], unit = ''): string =>
  `${fmt(median(xs))}${unit} (${fmt(Math.min(...xs))}..${fmt(Math.max(...xs))}, ${xs.length} runs)`

/** A delivery's event time in the store benches, and the ETA its assignment carries. */
export const BENCH_AT = 1_763_700_000_000
export const BENCH_ETA = { at: BENCH_AT + 600_000, p10: BENCH_AT + 500_000, p90: BENCH_AT + 700_000 }
/** The engine's blob for an open delivery, ~300 bytes, as the engine writes one. */
export const BENCH_ENGINE_BLOB = JSON.stringify({
  plan: {
    toPickup: { waypoints: [{ lat: 47.6, lon: -122.3 }], lengthM: 1200 },
    toDropoff: { waypoints: [{ lat: 47.62, lon: -122.35 }], lengthM: 2400 },
    next: 0,
  },
  promised: BENCH_ETA,
  depot: { lat: 47.6, lon: -122.3 },
  refusedBy: null,
  dwellStart: null,
})
