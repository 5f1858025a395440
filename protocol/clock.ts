/**
 * Lockstep messages between simulator and engine. The simulator publishes
 * `sim/clock` after all telemetry of a tick; the engine answers on
 * `engine/watermark` once it has processed everything up to that time, so a
 * simulation at `--speed max` never runs ahead of the engine's decisions.
 */
export interface ClockMessage {
  /** Simulated time, ms since the epoch. */
  t: number
  /**
   * On `sim/clock` only: the latest event time the telemetry that follows
   * will carry (the end of the next tick), so the engine can tell a sample of
   * the next tick from one stamped too far ahead. Absent: `t`.
   */
  next?: number
}

export function decodeClock(payload: Buffer | string): ClockMessage | undefined {
  try {
    const m = JSON.parse(payload.toString()) as ClockMessage
    if (!m || typeof m.t !== 'number' || !Number.isFinite(m.t)) return undefined
    if (m.next !== undefined && !(typeof m.next === 'number' && Number.isFinite(m.next) && m.next >= m.t)) return undefined
    return m
  } catch {
    return undefined
  }
}
