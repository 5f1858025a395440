import type { TrackedDrone } from './records.js'
import { resolveSupervisorOptions, type SupervisorOptions } from './supervisorOptions.js'

export type { SupervisorOptions }

/** Weight of the newest gap in the interval estimate: steady, yet follows a drone that changes its rate. */
const ALPHA = 0.2
/** Outages remembered: silence that began before the oldest of these is judged without them. */
const MAX_OUTAGES = 8

/**
 * The supervisor's bookkeeping: each drone's reporting interval, estimated
 * from the gaps between its samples in event time, and which drones have been
 * silent too long. Compensation (reassignment) is the engine's: this only
 * says who is lost.
 *
 * Why the limit is not tight. A healthy drone on a lossy link misses samples
 * at random: with a share p lost, k in a row happen about once every 1/p^k
 * samples, so at 3 intervals and 10 % loss a fleet of 30 at 1 Hz would lose
 * a healthy drone every half minute, failing the delivery it carries and
 * sending the package home. Latency counts against the limit too: a link
 * that delivers samples 4 s late would make a 3 s limit lose the drone on
 * every tick. Five intervals and a 10 s floor make both rare, and cost a few
 * seconds in noticing a drone that really failed.
 */
export class Supervisor {
  private readonly factor: number
  private readonly defaultMs: number
  private readonly minMs: number
  private readonly outageShare: number
  private readonly outageMin: number
  private readonly outageMaxMs: number
  /** Suspected outages, [from, to] in event time (the latest few), and the start of one going on. */
  private readonly outages: Array<[number, number]> = []
  private openFrom: number | null = null

  constructor(options: SupervisorOptions = {}) {
    const o = resolveSupervisorOptions(options)
    this.factor = o.silenceFactor
    this.defaultMs = o.defaultIntervalMs
    this.minMs = o.minSilenceMs
    this.outageShare = o.outageShare
    this.outageMin = o.outageMinDrones
    this.outageMaxMs = o.outageMaxMs
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

  /**
   * Whether a sample at event time `ts` is recent enough at `now` to count as
   * the drone being heard: a lost drone whose news is older than its limit
   * is still silent, so a late sample does not reconcile it only for the
   * next clock tick to lose it again.
   */
  fresh(d: TrackedDrone, ts: number, now: number): boolean {
    return now - ts <= this.limitMs(d)
  }

  /**
   * The drones not yet lost that have been silent longer than their limit at
   * event time `t`. Silence while most of the fleet was quiet together (a
   * suspected outage) does not count, up to `outageMaxMs`: not during it,
   * and not after it for a drone whose first samples back were lost.
   */
  silent(fleet: ReadonlyMap<string, TrackedDrone>, t: number): TrackedDrone[] {
    let live = 0
    let quiet = 0
    let lastQuietTs = -Infinity
    for (const d of fleet.values()) {
      if (d.lost) continue
      live++
      // Counting the quiet, not only the overdue: drones whose last sample before a cut was lost cross their limit a tick or two early, alone.
      if (t - d.ts > this.limitMs(d) / 2) {
        quiet++
        if (d.ts > lastQuietTs) lastQuietTs = d.ts
      }
    }
    const outage = quiet >= this.outageMin && quiet >= this.outageShare * live
    if (outage && this.openFrom === null) this.openFrom = lastQuietTs
    else if (!outage && this.openFrom !== null) {
      this.outages.push([this.openFrom, t])
      this.openFrom = null
      if (this.outages.length > MAX_OUTAGES) this.outages.shift()
    }
    const out: TrackedDrone[] = []
    for (const d of fleet.values()) {
      if (d.lost) continue
      const silentMs = t - d.ts
      const limit = this.limitMs(d)
      if (silentMs > limit && silentMs - this.excusedMs(d.ts, t) > limit) out.push(d)
    }
    return out
  }

  /** The suspected outage time between `from` and `to`, at most outageMaxMs. */
  private excusedMs(from: number, to: number): number {
    let ms = 0
    const add = (a: number, b: number): void => {
      const overlap = Math.min(b, to) - Math.max(a, from)
      if (overlap > 0) ms += overlap
    }
    for (const [a, b] of this.outages) add(a, b)
    if (this.openFrom !== null) add(this.openFrom, to)
    return Math.min(ms, this.outageMaxMs)
  }
}
