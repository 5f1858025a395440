/**
 * REST ingestion: `POST /v1/deliveries` requests/s and latency percentiles
 * with autocannon, against the whole service (embedded broker with
 * authentication, engine, gateway) on loopback. Every 202 means the broker
 * acknowledged the request (QoS 1 PUBACK); 503s are load leveling (the engine
 * was behind) and are counted apart.
 *
 *   node dist/bench/rest-ingest.js [--connections 50] [--seconds 10] [--store SPEC]
 *
 * `--store` names the service's store as `serve --store` does (a directory
 * for the embedded store, `postgres://…`, or `:memory:`, the default).
 *
 * autocannon runs in a worker thread so that it does not share the service's
 * event loop. Bounded: at most 500 connections and 60 s.
 */
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { pino } from 'pino'
import { startService } from '../service/startService.js'
import { openStore } from '../store/openStore.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'

interface Histo {
  average: number
  p50: number
  p90: number
  p99: number
  max: number
}
interface AutocannonResult {
  requests: Histo & { total: number }
  latency: Histo
  statusCodeStats: Record<string, { count: number }>
  errors: number
  timeouts: number
  duration: number
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>
// autocannon is CommonJS without bundled types; only the fields used here are declared.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const arg = (name: string, def: number, max: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i < 0 ? def : Number(process.argv[i + 1])
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be a whole number 1..${max}, got ${process.argv[i + 1]}`)
  return v
}

const connections = arg('connections', 50, 500)
const seconds = arg('seconds', 10, 60)
const storeAt = process.argv.indexOf('--store')
const storeSpec = storeAt < 0 ? ':memory:' : (process.argv[storeAt + 1] ?? '')
const apiKey = 'bench-key'
const service = await startService({
  store: await openStore(storeSpec),
  mqttPort: 0,
  httpPort: 0,
  wsPort: 0,
  host: '127.0.0.1',
  apiKey,
  profile: DEFAULT_PROFILE,
  depots: [],
  logger: pino({ level: 'silent' }),
})
try {
  const body = JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1.2 })
  const r = await autocannon({
    url: `${service.gateway.httpUrl}/v1/deliveries`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body,
    connections,
    duration: seconds,
    workers: 1,
  })
  const count = (code: string): number => Number(r.statusCodeStats[code]?.count ?? 0)
  const accepted = count('202')
  const shed = count('503')
  const created = service.engine.engine.stats().deliveriesByStatus.Created
  process.stdout.write(
    [
      `rest-ingest: POST /v1/deliveries, ${connections} connections, ${seconds} s, store ${storeSpec.replace(/\/\/[^@/]*@/, '//…@')} (loopback, embedded broker with auth, engine, gateway; ${cpus().length} cores)`,
      `  throughput  ${(accepted / r.duration).toFixed(0)} accepted/s (202 after PUBACK), ${r.requests.total} requests in all`,
      `  latency     ms: p50 ${r.latency.p50}  p90 ${r.latency.p90}  p99 ${r.latency.p99}  max ${r.latency.max}`,
      `  answers     202: ${accepted}  503 (engine behind): ${shed}  other: ${r.requests.total - accepted - shed}  errors: ${r.errors}  timeouts: ${r.timeouts}`,
      `  engine      ${created} deliveries created (each 202 is one, once the engine has caught up)`,
      '',
    ].join('\n'),
  )
} finally {
  await service.close()
}
