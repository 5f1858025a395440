/**
 * Engine core alone, one thread: telemetry updates per second (validation
 * excluded), each one moving the drone in the rbush index, and for drones
 * flying a delivery, the ETA and tracking message.
 *   node dist/bench/engine-updates.js [drones…]
 */
import { Engine } from '../engine/Engine.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import type { TelemetrySample } from '../protocol/telemetry.js'
import { createRng } from '../sim/random.js'

function bench(drones: number, rounds: number): { updatesPerS: number; heapPerDroneB: number } {
  let tracked = 0
  const engine = new Engine({
    profile: DEFAULT_PROFILE,
    depots: [{ lat: 47.6, lon: -122.3 }],
    sink: { command: () => undefined, event: () => undefined, tracking: () => { tracked++ } },
  })
  const rng = createRng(1, 'bench')
  const t0 = 1_763_700_000_000
  const heapBefore = process.memoryUsage().heapUsed
  const samples: TelemetrySample[] = []
  for (let i = 0; i < drones; i++) {
    samples.push({ droneId: `d-${i}`, seq: 0, ts: t0, lat: 47.5 + rng() * 0.2, lon: -122.4 + rng() * 0.2, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' })
    engine.handleTelemetry(samples[i]!)
  }
  globalThis.gc?.()
  const heapPerDroneB = (process.memoryUsage().heapUsed - heapBefore) / drones
  // A tenth of the fleet flies deliveries, so ETA work is part of the figure.
  for (let k = 0; k < drones / 10; k++) {
    const p = samples[k]!
    engine.handleRequest({ type: 'CreateDelivery', id: `del-${k}`, pickup: { lat: p.lat, lon: p.lon }, dropoff: { lat: p.lat + 0.01, lon: p.lon }, weightKg: 1, deadline: null }, t0)
  }
  const start = performance.now()
  for (let r = 1; r <= rounds; r++) {
    for (const s of samples) {
      s.seq = r
      s.ts = t0 + r * 1000
      s.lat += (rng() - 0.5) * 1e-4
      s.lon += (rng() - 0.5) * 1e-4
      s.state = s.state === 'idle' ? 'idle' : 'cruise'
      engine.handleTelemetry(s)
    }
  }
  const seconds = (performance.now() - start) / 1000
  if (tracked === 0) throw new Error('no tracking messages: the benchmark measured nothing')
  return { updatesPerS: Math.round((drones * rounds) / seconds), heapPerDroneB: Math.round(heapPerDroneB) }
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
for (const n of sizes.length ? sizes : [10_000, 100_000]) {
  const r = bench(n, Math.max(3, Math.round(1_000_000 / n)))
  console.log(`engine-updates drones=${n}: ${r.updatesPerS.toLocaleString('en')} updates/s, ~${r.heapPerDroneB} B heap per tracked drone`)
}
