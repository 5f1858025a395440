import type { TrackedDrone } from './records.js'

export interface SupervisorOptions {
  /** A drone is lost after this many reporting intervals of silence (event time). Default 3. */
  silenceFactor?: number
  /** The interval assumed until a drone's own can be estimated (two samples), ms. Default 1000. */
  defaultIntervalMs?: number
  /** Never declare a drone lost sooner than this, ms, however fast it reports. Default 0. */
  minSilenceMs?: number
}

/** Weight of the newest gap in the interval estimate: steady, yet follows a drone that changes its rate. */
const ALPHA = 0.2

/**
 * The supervisor's bookkeeping: each drone's reporting interval, estimated
 * from the gaps between its samples in event time, and which drones have been
 * silent for `silenceFactor` intervals. Compensation (reassignment) is the
 * engine's: this only says who is lost.
 */
export class Supervisor {
  private readonly factor: number
  private readonly defaultMs: number
  private readonly minMs: number

  constructor(o: SupervisorOptions = {}) {
    this.factor = o.silenceFactor ?? 3
    this.defaultMs = o.defaultIntervalMs ?? 1000
    this.minMs = o.minSilenceMs ?? 0
  }

  /** Updates the interval estimate from an accepted sample at `ts`, before d.ts moves to it. */
  observe(d: TrackedDrone, ts: number): void {
    const gap = ts - d.ts
    // A drone back from silence, or a burst of retransmitted samples, says nothing about its rate.
    if (gap <= 0 || d.lost) return
    if (d.intervalMs === 0) d.intervalMs = gap
    else if (gap < this.factor * d.intervalMs) d.intervalMs += ALPHA * (gap - d.intervalMs)
  }

  /** How long `d` may stay silent before it is lost, ms. */
  limitMs(d: TrackedDrone): number {
    return Math.max(this.minMs, this.factor * (d.intervalMs || this.defaultMs))
  }

  /** The drones not yet lost that have been silent longer than their limit at event time `t`. */
  silent(drones: Iterable<TrackedDrone>, t: number): TrackedDrone[] {
    const out: TrackedDrone[] = []
    for (const d of drones) {
      if (!d.lost && t - d.ts > this.limitMs(d)) out.push(d)
    }
    return out
  }
}
