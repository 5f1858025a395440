/**
 * Recovery time: a store holding `--open` open deliveries (default 100,000;
 * each accepted, created and assigned, with an engine blob of ~300 bytes) is
 * opened afresh and every open delivery loaded, as a restarted engine does.
 *
 *   node dist/bench/store-recovery.js [--open 100000] [--runs 5] [embedded|postgres…]
 */
import type { DeliveryEvent } from '../protocol/events.js'
import { openStore } from '../store/openStore.js'
import { fmt, spread, tempStore, type BenchBackend, BENCH_AT as at, BENCH_ENGINE_BLOB as blob, BENCH_ETA as eta } from './storeBackends.js'

const args = process.argv.slice(2)
const num = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? def : Number(args[i + 1])
}
const open = num('open', 100_000)
const runs = num('runs', 5)
const named = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) as BenchBackend[]
const backends: BenchBackend[] = named.length ? named : ['embedded', 'postgres']
const engine = { region: 'default', epoch: 1 }

for (const backend of backends) {
  const tmp = await tempStore(backend)
  if (!tmp) continue
  try {
    const filling = performance.now()
    const store = await openStore(tmp.spec)
    const WRITERS = 500
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = w; i < open; i += WRITERS) {
          const id = `del-${i}`
          const order = { id, pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1.2, deadline: null }
          await store.accept({ order, idempotencyKey: `key-${i}`, fingerprint: `fp-${i}` })
          const events: DeliveryEvent[] = [
            {
              type: 'DeliveryCreated',
              deliveryId: id,
              ts: at,
              pickup: order.pickup,
              dropoff: order.dropoff,
              weightKg: order.weightKg,
              deadline: null,
            },
            { type: 'DroneAssigned', deliveryId: id, ts: at + 1, droneId: `d-${i % 5000}`, eta },
          ]
          await store.append(engine, events[0] as DeliveryEvent)
          await store.append(engine, events[1] as DeliveryEvent, blob)
        }
      }),
    )
    await store.close()
    console.log(`store-recovery ${backend}: filled ${fmt(open)} open deliveries in ${fmt((performance.now() - filling) / 1000)} s`)
    const times: number[] = []
    for (let r = 0; r < runs; r++) {
      const began = performance.now()
      const again = await openStore(tmp.spec)
      const loaded = await again.openDeliveries()
      const ms = performance.now() - began
      if (loaded.length !== open || loaded.some((o) => o.engineState === null || o.delivery.status !== 'HeadedToPickup'))
        throw new Error(`recovered ${loaded.length} of ${open}`)
      await again.close()
      times.push(ms)
    }
    console.log(`store-recovery ${backend}: open + load ${fmt(open)} open deliveries in ${spread(times, ' ms')}`)
  } finally {
    await tmp.remove()
  }
}
