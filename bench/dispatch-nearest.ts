/**
 * Nearest-feasible ("soonest") assignment with a fleet of idle drones: the
 * time of one CreateDelivery through the engine core, from the request to
 * the AssignDelivery decision (candidate search in the index, battery
 * feasibility along routed legs, the command and events), as an HDR
 * histogram. Each delivery is cancelled afterwards (not timed) so the fleet
 * stays available. Run without zones and with 1,000 zones (half no-fly, so
 * routes are checked against them and some go around).
 *   node dist/bench/dispatch-nearest.js [drones] [requests]
 */
import * as hdr from 'hdr-histogram-js'
import { Engine } from '../engine/Engine.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { createRng } from '../sim/random.js'
import { squareZones } from './squareZones.js'

function bench(drones: number, requests: number, zoneCount: number): void {
  const rng = createRng(2, 'dispatch')
  let assigned = 0
  const engine = new Engine({
    profile: DEFAULT_PROFILE,
    depots: [
      { lat: 47.6, lon: -122.3 },
      { lat: 47.55, lon: -122.35 },
      { lat: 47.65, lon: -122.25 },
    ],
    zones: squareZones(rng, zoneCount),
    sink: {
      command: (c) => {
        if (c.type === 'AssignDelivery') assigned++
      },
      event: () => undefined,
      tracking: () => undefined,
    },
  })
  const t0 = 1_763_700_000_000
  for (let i = 0; i < drones; i++) {
    engine.handleTelemetry({
      droneId: `d-${i}`,
      seq: 1,
      ts: t0,
      lat: 47.5 + rng() * 0.2,
      lon: -122.4 + rng() * 0.2,
      alt: 0,
      speed: 0,
      heading: 0,
      battery: 0.3 + rng() * 0.7,
      state: 'idle',
    })
  }
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3 })
  const warmup = Math.min(500, requests / 10)
  for (let k = 0; k < warmup + requests; k++) {
    const pickup = { lat: 47.52 + rng() * 0.16, lon: -122.38 + rng() * 0.16 }
    const dropoff = { lat: pickup.lat + (rng() - 0.5) * 0.04, lon: pickup.lon + (rng() - 0.5) * 0.04 }
    const id = `del-${k}`
    const start = process.hrtime.bigint()
    engine.handleRequest({ type: 'CreateDelivery', id, pickup, dropoff, weightKg: 0.2 + rng() * 2, deadline: null }, t0)
    const ns = Number(process.hrtime.bigint() - start)
    if (k >= warmup) h.recordValue(ns)
    engine.handleRequest({ type: 'CancelDelivery', id, reason: 'bench' }, t0)
  }
  const us = (p: number): string => (h.getValueAtPercentile(p) / 1000).toFixed(1)
  const failed = engine.stats().deliveriesByStatus.Failed
  console.log(
    `dispatch-nearest drones=${drones} zones=${zoneCount} requests=${requests}: p50 ${us(50)} µs, p99 ${us(99)} µs, p99.9 ${us(99.9)} µs, max ${(h.maxValue / 1000).toFixed(1)} µs` +
      ` (assigned ${assigned}, refused in a no-fly zone or unroutable ${failed})`,
  )
  if (assigned === 0) throw new Error('nothing was assigned: the benchmark measured nothing')
}

const drones = Number(process.argv[2] ?? 10_000)
const requests = Number(process.argv[3] ?? 20_000)
bench(drones, requests, 0)
bench(drones, requests, 1000)
