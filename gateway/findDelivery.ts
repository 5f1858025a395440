import { isTerminal } from '../protocol/events.js'
import type { DeliverySnapshot } from '../protocol/tracking.js'
import type { DeliveryDetail, Store, StoredDelivery } from '../store/Store.js'
import type { DeliveryBook } from './DeliveryBook.js'

/** A stored delivery as the API shows it: without the store's own fields. */
export function fromStore(s: DeliveryDetail): DeliverySnapshot
export function fromStore(s: StoredDelivery): Omit<DeliverySnapshot, 'history'>
export function fromStore(s: StoredDelivery | DeliveryDetail): Omit<DeliverySnapshot, 'history'> | DeliverySnapshot {
  const { region: _region, seq: _seq, requested: _requested, ...rest } = s as DeliveryDetail
  return rest
}

/**
 * One delivery as the gateway knows it: the store's record (durable, there
 * from the 202 on, and after a restart) or the book's (live), whichever has
 * seen more events, with the book's last position, ETA and drone on top
 * (tracking is not stored).
 */
export function mergeDelivery<S extends Omit<DeliverySnapshot, 'history'>>(
  stored: S,
  live: DeliverySnapshot | undefined,
  storedEvents: number,
): S | DeliverySnapshot {
  if (!live) return stored
  if (live.history.length >= storedEvents) return live
  if (live.position === null || isTerminal(stored.status)) return stored
  return { ...stored, position: live.position, eta: live.eta, droneId: live.droneId }
}

/**
 * Finds a delivery in the book, else in the store; one found only in the
 * store (accepted before a restart) is taken into the book, so its later
 * events, its tracking and its sockets work as for any other.
 */
export async function findDelivery(book: DeliveryBook, store: Store, id: string): Promise<DeliverySnapshot | undefined> {
  const detail = await store.get(id)
  const live = book.get(id)
  if (!detail) return live
  const stored = fromStore(detail)
  if (!live) return book.restore(stored)
  return mergeDelivery(stored, live, stored.history.length)
}
