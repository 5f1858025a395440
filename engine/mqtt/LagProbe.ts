/**
 * How far behind its input the engine is, in wall time only.
 *
 * Every so often the adapter publishes a probe, stamped with its wall clock,
 * on a topic of its own, and handles it when the broker hands it back, in
 * line with the telemetry and requests it receives: the time between is how
 * long a message waits before the engine processes it (broker, socket and
 * event loop included). Event time never enters it, so a simulation dated
 * months from today, or drones with wrong clocks, do not make the engine look
 * behind. A probe that has not come back counts for its age, so an engine
 * stuck behind a backlog is seen before its probe returns.
 *
 * No timer here: the adapter sends on its own interval; `now` is injected.
 */
export class LagProbe {
  private measured = 0
  /** When the oldest probe sent since the last one came back was sent. */
  private outSince: number | undefined

  constructor(private readonly now: () => number) {}

  /** The payload of a probe sent now. */
  send(): string {
    const at = this.now()
    this.outSince ??= at
    return JSON.stringify({ sentAt: at })
  }

  /** A probe came back; one that does not parse is ignored. */
  back(payload: Buffer | string): void {
    let sentAt: unknown
    try {
      sentAt = (JSON.parse(payload.toString()) as { sentAt?: unknown }).sentAt
    } catch {
      return
    }
    if (typeof sentAt !== 'number' || !Number.isFinite(sentAt)) return
    this.measured = Math.max(0, this.now() - sentAt)
    if (this.outSince !== undefined && sentAt >= this.outSince) this.outSince = undefined
  }

  /** The lag now, ms: the latest probe's round trip, or the age of one still out when greater. */
  lagMs(): number {
    const out = this.outSince === undefined ? 0 : this.now() - this.outSince
    return Math.max(this.measured, out)
  }
}
