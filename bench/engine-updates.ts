/**
 * Engine core alone, one thread: telemetry updates per second (validation
 * excluded), each one moving the drone in the rbush index, checking it
 * against 1,000 zones (geofences), and, for the tenth of the fleet flying a
 * delivery, the routed ETA and tracking message. Also the heap per tracked
 * drone (run with --expose-gc for a clean figure). Every drone moves 15 m a
 * sample, so index updates happen at the rate a flying fleet causes. Also
 * updates per CPU second of the process (all its threads, GC's included):
 * on a machine shared with other work, wall time counts the others' turns
 * too, and that figure moves far less from run to run.
 *   node --expose-gc dist/bench/engine-updates.js [drones…]
 */
import { Engine } from '../engine/Engine.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import type { TelemetrySample } from '../protocol/telemetry.js'
import { createRng } from '../sim/random.js'
import { squareZones } from './squareZones.js'

const ZONES = 1000
const M = 1 / 111_195 // degrees of latitude per metre

function bench(drones: number, rounds: number): { updatesPerS: number; updatesPerCpuS: number; heapPerDroneB: number; flying: number } {
  let tracked = 0
  const rng = createRng(1, 'bench')
  const t0 = 1_763_700_000_000
  const samples: TelemetrySample[] = []
  for (let i = 0; i < drones; i++) {
    samples.push({
      droneId: `d-${i}`,
      seq: 0,
      ts: t0,
      lat: 47.5 + rng() * 0.2,
      lon: -122.4 + rng() * 0.2,
      alt: 0,
      speed: 0,
      heading: 0,
      battery: 1,
      state: 'idle',
    })
  }
  const z = squareZones(rng, ZONES)
  globalThis.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const engine = new Engine({
    profile: DEFAULT_PROFILE,
    depots: [{ lat: 47.6, lon: -122.3 }],
    zones: z,
    sink: {
      command: () => undefined,
      event: () => undefined,
      tracking: () => {
        tracked++
      },
    },
  })
  globalThis.gc?.()
  const heapZones = process.memoryUsage().heapUsed
  for (const s of samples) engine.handleTelemetry(s)
  globalThis.gc?.()
  const heapPerDroneB = (process.memoryUsage().heapUsed - heapZones) / drones
  void heapBefore
  // A tenth of the fleet flies deliveries, so ETA work is part of the figure.
  for (let k = 0; k < drones / 10; k++) {
    const p = samples[k]!
    engine.handleRequest(
      {
        type: 'CreateDelivery',
        id: `del-${k}`,
        pickup: { lat: p.lat, lon: p.lon },
        dropoff: { lat: p.lat + 0.01, lon: p.lon },
        weightKg: 1,
        deadline: null,
      },
      t0,
    )
  }
  const flying = engine.drones().filter((d) => d.deliveryId !== null).length
  // Every drone flies at 15 m/s on a heading of its own (the worst case for the index: no one
  // stands still); precomputed so the timed loop measures the engine, not the random numbers.
  const steps = new Float64Array(2 * drones)
  for (let i = 0; i < drones; i++) {
    const h = rng() * 2 * Math.PI
    steps[2 * i] = 15 * Math.cos(h) * M
    steps[2 * i + 1] = (15 * Math.sin(h) * M) / Math.cos((47.6 * Math.PI) / 180)
  }
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  for (let r = 1; r <= rounds; r++) {
    for (let i = 0; i < drones; i++) {
      const s = samples[i]!
      s.seq = r
      s.ts = t0 + r * 1000
      s.lat += steps[2 * i]!
      s.lon += steps[2 * i + 1]!
      s.state = k(i, drones) ? 'cruise' : 'returning'
      engine.handleTelemetry(s)
    }
  }
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  if (tracked === 0) throw new Error('no tracking messages: the benchmark measured nothing')
  return {
    updatesPerS: Math.round((drones * rounds) / seconds),
    updatesPerCpuS: Math.round((drones * rounds) / cpuSeconds),
    heapPerDroneB: Math.round(heapPerDroneB),
    flying,
  }
}

/** The drones flying a delivery are the first tenth. */
function k(i: number, drones: number): boolean {
  return i < drones / 10
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0)
for (const n of sizes.length ? sizes : [10_000, 100_000]) {
  const r = bench(n, Math.max(30, Math.round(1_000_000 / n)))
  console.log(
    `engine-updates drones=${n} zones=${ZONES} flying=${r.flying}: ${r.updatesPerS.toLocaleString('en')} updates/s (${r.updatesPerCpuS.toLocaleString('en')} per CPU second), ~${r.heapPerDroneB} B heap per tracked drone`,
  )
}
