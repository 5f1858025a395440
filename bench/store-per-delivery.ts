/**
 * What the store costs per delivery, and what the leases cost, through the
 * Store interface as the service writes it. One delivery is:
 *   accept                                   (the gateway, before its 202)
 *   append DeliveryCreated + DroneAssigned    (one engine turn; the engine's blob with the last)
 *   markPublished                            (once the broker acknowledged them)
 *   append PackagePickedUp (blob), markPublished
 *   append DeliveryCompleted, markPublished  (terminal: the blob is dropped)
 * every append fenced by the region's epoch, taken with a lease.
 *
 * - alone: one delivery at a time, each write awaited: the latency of a
 *   delivery's writes end to end, and its transactions (no group to share);
 * - together: `--concurrent` deliveries in flight for `--seconds`: deliveries
 *   per second, transactions per delivery (group commit shares them), and
 *   CPU per delivery (this process, its SQLite thread included, plus, for
 *   PostgreSQL, the server backends of the bench's connections);
 * - leases: one renewal cycle as RegionLeases runs it every 2 s (the
 *   engine's membership row, each held region, the lease table read), alone
 *   and while the deliveries run, against the lease's time to live; and what
 *   it adds per delivery at the rate measured.
 *
 *   node dist/bench/store-per-delivery.js [--runs 3] [--alone 200] [--concurrent 256] [--seconds 5] [--regions 3] [memory|embedded|postgres…]
 *
 * PostgreSQL: a database of its own on $DRONEFLEET_BENCH_POSTGRES
 * (default postgres://postgres@127.0.0.1:5432/postgres), dropped after.
 */
import pg from 'pg'
import type { DeliveryEvent } from '../protocol/events.js'
import { GroupCommittedStore } from '../store/GroupCommittedStore.js'
import { openStore } from '../store/openStore.js'
import type { Store, Writer } from '../store/Store.js'
import { processCpu } from './procCpu.js'
import { fmt, median, tempStore, type BenchBackend, BENCH_AT as at, BENCH_ENGINE_BLOB as blob, BENCH_ETA as eta } from './storeBackends.js'

const args = process.argv.slice(2)
const num = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? def : Number(args[i + 1])
}
const runs = num('runs', 3)
const alone = num('alone', 200)
const concurrent = num('concurrent', 256)
const seconds = num('seconds', 5)
const regions = num('regions', 3)
/** RegionLeases' defaults: renewed every 2 s, expiring after 6 s. */
const RENEW_MS = 2_000
const TTL_MS = 6_000
const named = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) as BenchBackend[]
const backends: BenchBackend[] = named.length ? named : ['embedded', 'postgres']

const pickup = { lat: 47.61, lon: -122.33 }
const dropoff = { lat: 47.62, lon: -122.35 }

/** One delivery's writes, in the order and grouping the gateway and the engine's outbox give them. */
async function delivery(store: Store, writer: Writer, id: string): Promise<void> {
  const order = { id, pickup, dropoff, weightKg: 1.2, deadline: null }
  const r = await store.accept({ order, idempotencyKey: `key-${id}`, fingerprint: `fp-${id}`, region: writer.region })
  if (r.kind !== 'accepted') throw new Error(`accept ${id}: ${r.kind}`)
  const created: DeliveryEvent = { type: 'DeliveryCreated', deliveryId: id, ts: at, pickup, dropoff, weightKg: 1.2, deadline: null }
  const assigned: DeliveryEvent = { type: 'DroneAssigned', deliveryId: id, ts: at + 1, droneId: 'd-17', eta }
  const turn = await Promise.all([store.append(writer, created), store.append(writer, assigned, blob)])
  await store.markPublished(turn.map((l) => l.pos))
  const picked = await store.append(writer, { type: 'PackagePickedUp', deliveryId: id, ts: at + 2, droneId: 'd-17' }, blob)
  await store.markPublished([picked.pos])
  const done = await store.append(writer, { type: 'DeliveryCompleted', deliveryId: id, ts: at + 3, droneId: 'd-17' })
  await store.markPublished([done.pos])
}

/** One RegionLeases cycle: the membership row, each held region, then the table read. */
async function leaseCycle(store: Store, holder: string, held: readonly string[]): Promise<void> {
  await store.lease(`@engine/${holder}`, holder, TTL_MS)
  for (const region of held) {
    if ((await store.lease(region, holder, TTL_MS)) === undefined) throw new Error(`lost the lease of ${region}`)
  }
  await store.leases()
}

const transactions = (s: Store): number => (s instanceof GroupCommittedStore ? s.commits.transactions : Number.NaN)

/** CPU seconds of this process and of the PostgreSQL backends serving the bench's database. */
async function cpuNow(spec: string): Promise<number> {
  const own = process.cpuUsage()
  let server = 0
  if (spec.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: spec })
    await c.connect()
    try {
      const rows = await c.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      )
      for (const r of rows.rows) server += processCpu(r.pid) ?? 0
    } finally {
      await c.end()
    }
  }
  return (own.user + own.system) / 1e6 + server
}

interface Run {
  aloneMs: number[]
  aloneTx: number
  perS: number
  togetherTx: number
  cpuMs: number
  cycleAloneMs: number[]
  cycleLoadedMs: number[]
}

async function once(backend: BenchBackend): Promise<Run | undefined> {
  const tmp = await tempStore(backend)
  if (!tmp) return undefined
  try {
    const store = await openStore(tmp.spec)
    try {
      const holder = 'bench-engine'
      const held = Array.from({ length: regions }, (_, k) => `region-${k}`)
      const epoch = await store.lease(held[0] as string, holder, TTL_MS)
      if (epoch === undefined) throw new Error('no lease')
      for (const r of held.slice(1)) await store.lease(r, holder, TTL_MS)
      const writer: Writer = { region: held[0] as string, epoch }
      // Warm-up: statements prepared, pool connections opened, JIT.
      await Promise.all(Array.from({ length: 16 }, (_, i) => delivery(store, writer, `warm-${i}`)))

      const aloneMs: number[] = []
      const tx0 = transactions(store)
      for (let i = 0; i < alone; i++) {
        const t = performance.now()
        await delivery(store, writer, `alone-${i}`)
        aloneMs.push(performance.now() - t)
      }
      const aloneTx = (transactions(store) - tx0) / alone

      const cycleAloneMs: number[] = []
      for (let i = 0; i < 20; i++) {
        const t = performance.now()
        await leaseCycle(store, holder, held)
        cycleAloneMs.push(performance.now() - t)
      }

      // Together, with lease cycles running alongside as the engine's would (more often, to sample their latency).
      const cycleLoadedMs: number[] = []
      let stop = false
      const cycles = (async () => {
        while (!stop) {
          const t = performance.now()
          await leaseCycle(store, holder, held)
          cycleLoadedMs.push(performance.now() - t)
          await new Promise((r) => setTimeout(r, 200)) // the cadence of the sampling, not a wait for a state
        }
      })()
      const cpu0 = await cpuNow(tmp.spec)
      const tx1 = transactions(store)
      let n = 0
      const began = performance.now()
      const end = began + seconds * 1000
      await Promise.all(
        Array.from({ length: concurrent }, async (_, w) => {
          for (let i = 0; performance.now() < end; i++) {
            await delivery(store, writer, `c-${w}-${i}`)
            n++
          }
        }),
      )
      const wall = (performance.now() - began) / 1000
      const txTogether = transactions(store) - tx1
      stop = true
      await cycles
      const cpu1 = await cpuNow(tmp.spec)
      // The lease cycles' share of the transactions and CPU is small (one cycle per 200 ms) and counted with the deliveries'.
      return {
        aloneMs,
        aloneTx,
        perS: n / wall,
        togetherTx: txTogether / n,
        cpuMs: ((cpu1 - cpu0) / n) * 1000,
        cycleAloneMs,
        cycleLoadedMs,
      }
    } finally {
      await store.close()
    }
  } finally {
    await tmp.remove()
  }
}

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1))
const sp = (xs: number[], f: (x: number) => string, unit: string): string =>
  `${f(median(xs))}${unit} (${f(Math.min(...xs))}..${f(Math.max(...xs))}, ${xs.length} runs)`
const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number

console.log(
  `per delivery: accept, 4 events (Created+Assigned in one turn), 3 markPublished, fenced; ${regions} regions held; alone ${alone}, together ${concurrent} in flight for ${seconds} s; ${runs} runs`,
)
for (const backend of backends) {
  const xs: Run[] = []
  for (let r = 0; r < runs; r++) {
    const x = await once(backend)
    if (!x) break
    xs.push(x)
    console.log(
      `  ${backend} run ${r + 1}: alone ${ms(median(x.aloneMs))} ms/delivery (p90 ${ms(pct(x.aloneMs, 0.9))}), ${x.aloneTx.toFixed(1)} tx; ` +
        `together ${fmt(x.perS)} deliveries/s, ${x.togetherTx.toFixed(2)} tx and ${ms(x.cpuMs)} ms CPU per delivery; ` +
        `lease cycle ${ms(median(x.cycleAloneMs))} ms alone, ${ms(median(x.cycleLoadedMs))} ms (max ${ms(Math.max(...x.cycleLoadedMs))}) under load`,
    )
  }
  if (xs.length === 0) continue
  const perS = xs.map((x) => x.perS)
  // Lease writes per delivery at the rate measured: (membership + regions) every RENEW_MS.
  const leaseWritesPerS = (1 + regions) / (RENEW_MS / 1000)
  console.log(`store-per-delivery ${backend}:`)
  console.log(
    `  alone     ${sp(
      xs.map((x) => median(x.aloneMs)),
      ms,
      ' ms',
    )} per delivery, ${sp(
      xs.map((x) => x.aloneTx),
      (v) => v.toFixed(1),
      ' transactions',
    )} (8 writes)`,
  )
  console.log(
    `  together  ${sp(perS, fmt, ' deliveries/s')}, ${sp(
      xs.map((x) => x.togetherTx),
      (v) => v.toFixed(2),
      ' transactions',
    )} and ${sp(
      xs.map((x) => x.cpuMs),
      ms,
      ' ms CPU',
    )} per delivery`,
  )
  console.log(
    `  leases    a renewal cycle (${1 + regions} lease writes + 1 read) ${sp(
      xs.map((x) => median(x.cycleAloneMs)),
      ms,
      ' ms',
    )} alone, ` +
      `${sp(
        xs.map((x) => median(x.cycleLoadedMs)),
        ms,
        ' ms',
      )} under load (worst ${ms(Math.max(...xs.flatMap((x) => x.cycleLoadedMs)))} ms; the lease lasts ${TTL_MS} ms)`,
  )
  console.log(
    `            every ${RENEW_MS} ms: ${leaseWritesPerS.toFixed(1)} lease writes/s, ${(leaseWritesPerS / median(perS)).toExponential(1)} per delivery at ${fmt(median(perS))} deliveries/s`,
  )
}
