/**
 * The last sequence number applied per delivery, for consumers of delivery
 * events: after a crash the engine publishes again what it may already have
 * published (at-least-once), each event carrying its store `seq`; one at or
 * below what was applied is a repeat. Events without `seq` (an engine
 * without a store) always pass. Bounded: the oldest deliveries are forgotten.
 */
export class AppliedSeqs {
  private readonly last = new Map<string, number>()

  constructor(private readonly max = 100_000) {}

  /** The last seq applied for a delivery, 0 when none. */
  lastOf(deliveryId: string): number {
    return this.last.get(deliveryId) ?? 0
  }

  /** True when the event is new (and records it); false for a repeat. */
  fresh(deliveryId: string, seq: number | undefined): boolean {
    if (seq === undefined) return true
    const last = this.last.get(deliveryId)
    if (last !== undefined && seq <= last) return false
    if (last === undefined && this.last.size >= this.max) {
      const oldest = this.last.keys().next().value
      if (oldest !== undefined) this.last.delete(oldest)
    }
    this.last.set(deliveryId, seq)
    return true
  }
}
