import type { DroneProfile } from '../protocol/profile.js'
import { droneState, stepDrone } from './flight.js'
import { droneId, Flag, FleetState } from './FleetState.js'
import { createRng } from './random.js'
import type { Wind } from './wind.js'

export interface StepTask {
  buffer: SharedArrayBuffer
  n: number
  from: number
  to: number
  dtS: number
  /** Simulated time at the end of this step, ms since the epoch. */
  t: number
  profile: DroneProfile
  wind: Wind
  /** The scenario's seed, for the GPS noise stream. */
  seed: number
}

/** A slice's telemetry, and where its time went (for the benchmarks' breakdown). */
export interface StepResult {
  payloads: string[]
  stepMs: number
  encodeMs: number
}

let cache: FleetState | undefined

const r7 = (v: number): number => Math.round(v * 1e7) / 1e7
const r2 = (v: number): number => Math.round(v * 100) / 100
const M_PER_DEG_LAT = 111_195

/** A Gaussian pair (Box–Muller) from the drone's GPS stream for this sample: the same whichever worker draws it. */
function gpsError(seed: number, i: number, seq: number, sigmaM: number): [north: number, east: number] {
  const rng = createRng(seed, 'gps', `${i}:${seq}`)
  const r = sigmaM * Math.sqrt(-2 * Math.log(1 - rng()))
  const a = 2 * Math.PI * rng()
  return [r * Math.cos(a), r * Math.sin(a)]
}

/**
 * Piscina worker: steps drones [from, to) of the shared fleet and returns
 * their telemetry as JSON payloads ('' for a drone that has gone silent),
 * with the time spent stepping and encoding.
 * Any worker can take any slice. GPS faults change what is reported, never
 * where the drone is.
 */
export default function step(task: StepTask): StepResult {
  if (cache?.buffer !== task.buffer) cache = new FleetState(task.n, task.buffer)
  const f = cache
  const out: string[] = new Array(task.to - task.from)
  const t0 = performance.now()
  for (let i = task.from; i < task.to; i++) stepDrone(f, i, task.dtS, task.profile, task.wind)
  const t1 = performance.now()
  for (let i = task.from; i < task.to; i++) {
    const flags = f.flags[i]!
    if (flags & Flag.Silent) {
      out[i - task.from] = ''
      continue
    }
    const seq = (f.seq[i] = f.seq[i]! + 1)
    let lat = f.lat[i]!
    let lon = f.lon[i]!
    if (flags & Flag.GpsHold) {
      lat = f.fixLat[i]!
      lon = f.fixLon[i]!
    } else {
      const sigma = f.gpsSigmaM[i]!
      if (sigma > 0) {
        const [dn, de] = gpsError(task.seed, i, seq, sigma)
        lat = Math.max(-90, Math.min(90, lat + dn / M_PER_DEG_LAT))
        lon = lon + de / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180))
      }
      f.fixLat[i] = lat
      f.fixLon[i] = lon
    }
    out[i - task.from] = JSON.stringify({
      droneId: droneId(i), seq, ts: task.t, lat: r7(lat), lon: r7(lon), alt: r2(f.alt[i]!),
      speed: r2(f.speed[i]!), heading: r2(f.heading[i]!), battery: Math.round(f.battery[i]! * 1e4) / 1e4, state: droneState(f, i),
    })
  }
  return { payloads: out, stepMs: t1 - t0, encodeMs: performance.now() - t1 }
}
