import type { ClockMessage } from '../../protocol/clock.js'
import { DroneClocks } from './DroneClocks.js'

/** How far ahead of the engine's clock a sample may be stamped by default, ms. */
export const DEFAULT_MAX_FUTURE_MS = 3000

/**
 * The adapter's event time: what bounds the samples' and, while no simulator
 * drives it, what advances the engine.
 *
 * The core's clock moves with the samples it is given, and advance(t) —
 * which runs the supervisor and the deadline checks — comes from the
 * simulator's `sim/clock`. Without a simulator nothing would call it, and a
 * drone that falls silent would never be found out: silence produces no
 * message. So while no `sim/clock` has arrived for `quietMs`, the adapter
 * advances event time itself, to the wall time now plus the fleet's offset
 * (DroneClocks: the lower median of the drones' own offsets). It needs no
 * agreement between the drones' clocks and ours, no single drone can move
 * it, and it never runs ahead of a simulator: a simulator at ×100 or paused
 * in lockstep keeps sending `sim/clock`, which keeps this clock off.
 *
 * Every sample is checked against the clock before the engine sees it: in
 * lockstep, against the simulator's (its `sim/clock`'s `next`, or `t`);
 * otherwise, against the fleet's and its drone's own (DroneClocks). More
 * than `maxFutureMs` ahead, it is rejected as future.
 *
 * No timer here: the adapter calls due() on its own interval, so a test can
 * drive it with an injected `now`.
 */
export class IdleClock {
  private simClockAt = -Infinity
  /** The latest `sim/clock`'s t, and the latest event time the telemetry after it may carry. */
  private simT = 0
  private horizon = 0
  private readonly drones: DroneClocks

  /**
   * `now`: wall clock, ms. `quietMs`: how long after the last `sim/clock` this
   * clock takes over again. `maxFutureMs`: how far ahead of the clock a sample may be.
   */
  constructor(
    private readonly now: () => number,
    private readonly quietMs = 5000,
    private readonly maxFutureMs = DEFAULT_MAX_FUTURE_MS,
    /** When the adapter started (wall ms), for known(); none: the wall clock is taken as known from the start. */
    private readonly startedAt = -Infinity,
  ) {
    this.drones = new DroneClocks(maxFutureMs)
  }

  /**
   * Whether this clock knows the event time yet: a `sim/clock` arrived, or a
   * drone was heard, or `quietMs` went by since it started with neither (then
   * the wall clock is all there is). Until then a request is better held than
   * stamped with the wall clock's date: a simulator flying another day would
   * find it past its deadline at once.
   */
  known(): boolean {
    return this.simClockAt > -Infinity || this.drones.fleetOffset() !== undefined || this.now() - this.startedAt >= this.quietMs
  }

  /**
   * A sample of `droneId` with event time `ts` arrived at wall time `at`.
   * Returns the event time to apply it at (see DroneClocks.admit), or
   * undefined when it is stamped too far ahead (future).
   */
  heard(ts: number, at: number, droneId = ''): number | undefined {
    if (at - this.simClockAt < this.quietMs) {
      // The simulator's clock is the reference; the drone's offset is still followed, for when it stops.
      this.drones.note(droneId, ts, at)
      return ts > this.horizon + this.maxFutureMs ? undefined : ts
    }
    return this.drones.admit(droneId, ts, at)
  }

  /** The engine no longer keeps this drone (it refused its sample): nor does the clock. */
  forget(droneId: string): void {
    this.drones.forget(droneId)
  }

  /** A `sim/clock` arrived: the simulator drives event time for the next `quietMs`. */
  simClockArrived(c?: ClockMessage): void {
    this.simClockAt = this.now()
    if (c) {
      this.simT = c.t
      this.horizon = c.next ?? c.t
    }
  }

  /** The event time to advance the engine to now; undefined before any sample and while a simulator drives the clock. */
  due(): number | undefined {
    const wall = this.now()
    if (wall - this.simClockAt < this.quietMs) return undefined
    const fleet = this.drones.refresh()
    return fleet === undefined ? undefined : wall + fleet
  }

  /** Event time now, for what carries none (a request): the simulator's while it drives the clock; else wall time moved by the fleet's offset. */
  eventNow(): number {
    const wall = this.now()
    if (wall - this.simClockAt < this.quietMs) return this.simT
    return wall + (this.drones.fleetOffset() ?? 0)
  }
}
