import type { DeliveryStatus } from '../protocol/events.js'
import type { DeliverySnapshot } from '../protocol/tracking.js'
import type { Store } from '../store/Store.js'
import type { DeliveryBook } from './DeliveryBook.js'
import { fromStore, mergeDelivery } from './findDelivery.js'

/** Store pages one filtered list request may read before it answers with what it found (and a cursor to go on). */
const MAX_READS = 20

/**
 * A page of deliveries, newest first: every delivery the store accepted, each
 * as findDelivery would show it. The status filter applies to that view (the
 * book may be ahead of a store no engine writes to), so a filtered page reads
 * the store unfiltered, `limit` at a time, which keeps its cursor exact; it
 * may come back short, with a cursor, after MAX_READS reads.
 */
export async function listDeliveries(
  store: Store,
  book: DeliveryBook,
  q: { limit: number; after?: string | undefined; status?: DeliveryStatus | undefined },
): Promise<{ items: Array<Omit<DeliverySnapshot, 'history'>>; next: string | null }> {
  const items: Array<Omit<DeliverySnapshot, 'history'>> = []
  let after = q.after
  for (let reads = 0; reads < MAX_READS; reads++) {
    const page = await store.list({ limit: q.limit - items.length, ...(after !== undefined ? { after } : {}) })
    for (const s of page.items) {
      const d = mergeDelivery(fromStore(s), book.get(s.id), s.seq)
      if (q.status === undefined || d.status === q.status) items.push(d)
    }
    if (page.next === null || items.length >= q.limit) return { items, next: page.next }
    after = page.next
  }
  return { items, next: after ?? null }
}
