import type { StoredDelivery } from '../../store/Store.js'

/**
 * The store sweep's grace period, counted in sweeps rather than on a clock:
 * a delivery the store holds and the engine lacks, or a cancel or change it
 * has not applied, is almost always still on its way over MQTT. Applied by
 * the sweep as well, it would race that message, and which came first (so
 * what the engine did) would depend on timing; a run would no longer repeat.
 * So the sweep passes on only what it found waiting, unchanged, in the
 * previous sweep as well: something lost, not something in transit.
 */
export class SweepGrace {
  private last = new Set<string>()

  /** Of the deliveries `waiting` selects, those that were waiting in the same state at the previous call. */
  due(open: readonly StoredDelivery[], waiting: (d: StoredDelivery) => boolean): StoredDelivery[] {
    const seen = new Set<string>()
    const due: StoredDelivery[] = []
    for (const d of open) {
      if (!waiting(d)) continue
      const key = `${d.id} ${d.seq} ${JSON.stringify(d.requested ?? null)}`
      seen.add(key)
      if (this.last.has(key)) due.push(d)
    }
    this.last = seen
    return due
  }
}
