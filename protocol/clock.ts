/**
 * Lockstep messages between simulator and engine. The simulator publishes
 * `sim/clock` after all telemetry of a tick; the engine answers on
 * `engine/watermark` once it has processed everything up to that time, so a
 * simulation at `--speed max` never runs ahead of the engine's decisions.
 */
export interface ClockMessage {
  /** Simulated time, ms since the epoch. */
  t: number
}

export function decodeClock(payload: Buffer | string): ClockMessage | undefined {
  try {
    const m = JSON.parse(payload.toString()) as ClockMessage
    return m && typeof m.t === 'number' && Number.isFinite(m.t) ? m : undefined
  } catch {
    return undefined
  }
}
