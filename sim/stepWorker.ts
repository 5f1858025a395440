import type { DroneProfile } from '../protocol/profile.js'
import { droneState, stepDrone } from './flight.js'
import { droneId, FleetState } from './FleetState.js'

export interface StepTask {
  buffer: SharedArrayBuffer
  n: number
  from: number
  to: number
  dtS: number
  /** Simulated time at the end of this step, ms since the epoch. */
  t: number
  profile: DroneProfile
}

let cache: FleetState | undefined

const r7 = (v: number): number => Math.round(v * 1e7) / 1e7
const r2 = (v: number): number => Math.round(v * 100) / 100

/**
 * Piscina worker: steps drones [from, to) of the shared fleet and returns
 * their telemetry as JSON payloads. Any worker can take any slice.
 */
export default function step(task: StepTask): string[] {
  if (cache?.buffer !== task.buffer) cache = new FleetState(task.n, task.buffer)
  const f = cache
  const out: string[] = new Array(task.to - task.from)
  for (let i = task.from; i < task.to; i++) {
    stepDrone(f, i, task.dtS, task.profile)
    const seq = (f.seq[i] = f.seq[i]! + 1)
    out[i - task.from] = JSON.stringify({
      droneId: droneId(i), seq, ts: task.t, lat: r7(f.lat[i]!), lon: r7(f.lon[i]!), alt: r2(f.alt[i]!),
      speed: r2(f.speed[i]!), heading: r2(f.heading[i]!), battery: Math.round(f.battery[i]! * 1e4) / 1e4, state: droneState(f, i),
    })
  }
  return out
}
