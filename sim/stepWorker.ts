import { move, transferableSymbol, valueSymbol } from 'piscina'
import { BatchWriter, stateCode } from '../protocol/batchCodec.js'
import { wrapLon } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import { droneWorldAt, type DroneWorldSpec } from './DroneWorld.js'
import { droneState, stepDrone } from './flight.js'
import { Flag, FleetState } from './FleetState.js'
import { createRng } from './random.js'
import type { Wind } from './wind.js'

export interface StepTask {
  buffer: SharedArrayBuffer
  n: number
  /** The shards to step, in order, as [from, to, shard id]: drones [from, to) go out in frame `id`. */
  shards: ReadonlyArray<readonly [from: number, to: number, id: number]>
  dtS: number
  /** Simulated time at the end of this step, ms since the epoch. */
  t: number
  profile: DroneProfile
  wind: Wind
  /** The scenario's seed, for the GPS noise stream. */
  seed: number
  /** How the world differs from the model (true wind, handling times, battery ageing); absent when it does not. */
  world?: DroneWorldSpec | null
}

/** A slice's telemetry, one batch frame per shard, and where its time went (for the benchmarks' breakdown). */
export interface StepResult {
  /** Frame of the task's shard k at index k: its drones' samples in drone order, silent drones left out. */
  frames: Uint8Array[]
  stepMs: number
  /** Encoding the frames. */
  encodeMs: number
}

let cache: FleetState | undefined

const M_PER_DEG_LAT = 111_195

/** A Gaussian pair (Box–Muller) from the drone's GPS stream for this sample: the same whichever worker draws it. */
function gpsError(seed: number, i: number, seq: number, sigmaM: number): [north: number, east: number] {
  const rng = createRng(seed, 'gps', `${i}:${seq}`)
  const r = sigmaM * Math.sqrt(-2 * Math.log(1 - rng()))
  const a = 2 * Math.PI * rng()
  return [r * Math.cos(a), r * Math.sin(a)]
}

/**
 * Piscina worker: steps the drones of its shards of the shared fleet and encodes
 * their telemetry as one binary batch frame per shard (`protocol/batchCodec.ts`;
 * drone i is number i + 1, i.e. `d-{i+1}`; a drone that has gone silent
 * has no record), with the time spent stepping and encoding. The frames'
 * buffers are transferred to the main thread, not copied.
 * Any worker can take any slice. GPS faults change what is reported, never
 * where the drone is.
 */
export default function step(task: StepTask): unknown {
  return move(transferable(encodeStep(task)))
}

/** What `step` returns, before it is marked for transfer (exported for tests). */
export function encodeStep(task: StepTask): StepResult {
  if (cache?.buffer !== task.buffer) cache = new FleetState(task.n, task.buffer)
  const f = cache
  const t0 = performance.now()
  const world = task.world ? droneWorldAt(task.world, task.t - task.dtS * 500) : undefined
  for (const [from, to] of task.shards) for (let i = from; i < to; i++) stepDrone(f, i, task.dtS, task.profile, task.wind, world)
  const t1 = performance.now()
  const frames: Uint8Array[] = []
  for (const [start, end, id] of task.shards) {
    const w = new BatchWriter(end - start, id)
    for (let i = start; i < end; i++) {
      const flags = f.flags[i]!
      if (flags & Flag.Silent) continue
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
          // Noise near ±180° must not leave the valid range: one bad record rejects its whole frame.
          lon = wrapLon(lon + de / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180)))
        }
        f.fixLat[i] = lat
        f.fixLon[i] = lon
      }
      w.push(i + 1, seq, task.t, lat, lon, f.alt[i]!, f.speed[i]!, f.heading[i]!, f.battery[i]!, stateCode(droneState(f, i)))
    }
    frames.push(w.finish())
  }
  return { frames, stepMs: t1 - t0, encodeMs: performance.now() - t1 }
}

/** Marks the frames' buffers for transfer (piscina's Transferable interface: what to transfer, and the value to send). */
function transferable(r: StepResult): Parameters<typeof move>[0] {
  return {
    get [transferableSymbol]() {
      return r.frames.map((fr) => fr.buffer)
    },
    get [valueSymbol]() {
      return r
    },
  }
}
