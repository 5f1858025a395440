import { droneState } from './flight.js'
import type { FleetState } from './FleetState.js'

/** The fleet at one moment: how many drones do what, and how charged they are. */
export interface FleetSnapshot {
  /** ms since the epoch. */
  t: number
  /** On a mission: in the air or handling a package. */
  busy: number
  idle: number
  charging: number
  failed: number
  /** State of charge over drones that have not failed: mean, minimum, 10th percentile, 0..1. */
  batteryMean: number
  batteryMin: number
  batteryP10: number
}

/**
 * Samples the fleet once per simulated minute for the report's utilization
 * and battery charts. Reads the shared arrays between ticks, on the main
 * thread, so what it records does not depend on the workers.
 */
export class FleetTimeline {
  readonly snapshots: FleetSnapshot[] = []
  private readonly fleet: FleetState
  private readonly flown: Uint8Array | undefined
  private readonly everyMs: number
  private nextAt = -Infinity

  /** `flown`: 1 for each drone (by index) to count, when a simulator flies only part of the fleet; default all. */
  constructor(fleet: FleetState, flown?: Uint8Array, everyMs = 60_000) {
    this.fleet = fleet
    this.flown = flown
    this.everyMs = everyMs
  }

  sample(t: number): void {
    if (t < this.nextAt) return
    this.nextAt = (this.nextAt === -Infinity ? t : this.nextAt) + this.everyMs
    const f = this.fleet
    const counts = { busy: 0, idle: 0, charging: 0, failed: 0 }
    const batteries: number[] = []
    for (let i = 0; i < f.n; i++) {
      if (this.flown && this.flown[i] === 0) continue
      const s = droneState(f, i)
      if (s === 'failed') counts.failed++
      else {
        batteries.push(f.battery[i]!)
        if (s === 'idle') counts.idle++
        else if (s === 'charging') counts.charging++
        else counts.busy++
      }
    }
    batteries.sort((a, b) => a - b)
    const r3 = (v: number): number => Math.round(v * 1000) / 1000
    this.snapshots.push({
      t,
      ...counts,
      batteryMean: r3(batteries.length ? batteries.reduce((a, b) => a + b, 0) / batteries.length : 0),
      batteryMin: r3(batteries[0] ?? 0),
      batteryP10: r3(batteries[Math.floor(batteries.length * 0.1)] ?? 0),
    })
  }
}
