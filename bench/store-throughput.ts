/**
 * The store's group-committed write rate per backend, through the Store
 * interface: accepts committed per second, then delivery events committed
 * per second (each delivery's DeliveryCreated, DroneAssigned,
 * PackagePickedUp, DeliveryCompleted in order), with `--writers` callers
 * each awaiting its commit before the next write, as request handlers and
 * the engine's outbox would.
 *
 *   node dist/bench/store-throughput.js [--seconds 5] [--runs 3] [--writers 256] [memory|embedded|postgres…]
 *
 * PostgreSQL: a database of its own on $DRONEFLEET_BENCH_POSTGRES
 * (default postgres://postgres@127.0.0.1:5432/postgres), dropped after.
 */
import type { DeliveryEvent } from '../protocol/events.js'
import { openStore } from '../store/openStore.js'
import type { Store } from '../store/Store.js'
import { spread, tempStore, type BenchBackend } from './storeBackends.js'

const args = process.argv.slice(2)
const num = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? def : Number(args[i + 1])
}
const seconds = num('seconds', 5)
const runs = num('runs', 3)
const writers = num('writers', 256)
const named = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) as BenchBackend[]
const backends: BenchBackend[] = named.length ? named : ['memory', 'embedded', 'postgres']
const engine = { region: 'default', epoch: 1 }
const at = 1_763_700_000_000
const eta = { at: at + 600_000, p10: at + 500_000, p90: at + 700_000 }

/** `writers` loops for `seconds`, each awaiting `write(i)`; writes/s. */
async function loop(write: (w: number, i: number) => Promise<number>): Promise<number> {
  let n = 0
  const began = performance.now()
  const end = began + seconds * 1000
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const k = await write(w, i) // not `n += await …`: that reads n before the await and loses the others' counts
        n += k
      }
    }),
  )
  return n / ((performance.now() - began) / 1000)
}

const lifecycle = (id: string): DeliveryEvent[] => [
  {
    type: 'DeliveryCreated',
    deliveryId: id,
    ts: at,
    pickup: { lat: 47.61, lon: -122.33 },
    dropoff: { lat: 47.62, lon: -122.35 },
    weightKg: 1.2,
    deadline: null,
  },
  { type: 'DroneAssigned', deliveryId: id, ts: at + 1, droneId: 'd-17', eta },
  { type: 'PackagePickedUp', deliveryId: id, ts: at + 2, droneId: 'd-17' },
  { type: 'DeliveryCompleted', deliveryId: id, ts: at + 3, droneId: 'd-17' },
]

async function once(store: Store): Promise<{ accepts: number; events: number }> {
  const ids: string[] = []
  const accepts = await loop(async (w, i) => {
    const id = `del-${w}-${i}`
    const r = await store.accept({
      order: { id, pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1.2, deadline: null },
      idempotencyKey: `key-${id}`,
      fingerprint: `fp-${id}`,
    })
    if (r.kind !== 'accepted') throw new Error(`accept ${id}: ${r.kind}`)
    ids.push(id)
    return 1
  })
  let next = 0
  const events = await loop(async () => {
    const id = ids[next++ % ids.length] as string
    for (const e of lifecycle(id)) await store.append(engine, e)
    return 4
  })
  return { accepts, events }
}

for (const backend of backends) {
  const accepts: number[] = []
  const events: number[] = []
  for (let r = 0; r < runs; r++) {
    const tmp = await tempStore(backend)
    if (!tmp) break
    try {
      const store = await openStore(tmp.spec)
      const x = await once(store)
      await store.close()
      accepts.push(x.accepts)
      events.push(x.events)
    } finally {
      await tmp.remove()
    }
  }
  if (accepts.length === 0) continue
  console.log(`store ${backend}: ${spread(accepts, ' accepts/s')} committed, ${writers} writers`)
  console.log(`store ${backend}: ${spread(events, ' events/s')} committed, ${writers} writers`)
}
