/**
 * Load leveling for delivery requests. A request counts as pending from the
 * moment the gateway publishes it until the engine's DeliveryCreated for it
 * comes back. When too many are pending the engine is falling behind, and the
 * gateway answers 503 with Retry-After instead of piling more onto the broker.
 *
 * Pure: the clock is injected. Entries older than `forgetAfterMs` are dropped
 * (a request the engine refused never gets its DeliveryCreated), so one lost
 * event cannot shut ingestion forever; an engine that is down still fills the
 * window again within a few seconds.
 */
export interface IngestLimiterOptions {
  /** How many requests may wait for the engine at once. */
  maxPending: number
  /** Pending entries older than this are forgotten. Default 30 s. */
  forgetAfterMs?: number
  now: () => number
}

export class IngestLimiter {
  private readonly pending = new Map<string, number>()
  private readonly max: number
  private readonly forgetAfter: number
  private readonly now: () => number

  constructor(o: IngestLimiterOptions) {
    this.max = o.maxPending
    this.forgetAfter = o.forgetAfterMs ?? 30_000
    this.now = o.now
  }

  get size(): number {
    return this.pending.size
  }

  get limit(): number {
    return this.max
  }

  /** Reserves a place for `id`; false when the window is full. */
  tryAcquire(id: string): boolean {
    this.expire()
    if (this.pending.size >= this.max) return false
    this.pending.set(id, this.now())
    return true
  }

  /** The engine has the request (DeliveryCreated seen), or publishing failed. */
  release(id: string): void {
    this.pending.delete(id)
  }

  private expire(): void {
    const cutoff = this.now() - this.forgetAfter
    // Map order is insertion order, and entries are inserted with a non-decreasing clock: stop at the first young one.
    for (const [id, at] of this.pending) {
      if (at > cutoff) break
      this.pending.delete(id)
    }
  }
}
