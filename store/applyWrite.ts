import type { DronefleetError } from '../protocol/errors.js'
import { isTerminal, type DeliveryEvent } from '../protocol/events.js'
import { acceptedDelivery, createdDelivery, foldDelivery } from './foldDelivery.js'
import type { Outcome } from './GroupCommit.js'
import { DEFAULT_REGION, type AcceptResult, type LoggedEvent, type StoredDelivery, type Writer } from './Store.js'
import { fenced, unknownDelivery } from './storeErrors.js'
import type { WriteOp, WriteResult } from './writeOps.js'

/**
 * The tables of a backend that writes one operation at a time inside its
 * transaction (memory, SQLite). Reads see the transaction's own writes.
 */
export interface WriteTables {
  inboxByKey(key: string): { id: string; fingerprint: string } | undefined
  inboxById(id: string): { fingerprint: string } | undefined
  insertInbox(op: Extract<WriteOp, { type: 'accept' }>): void
  delivery(id: string): StoredDelivery | undefined
  /** Inserts a new delivery (creation order = insertion order). */
  insertDelivery(d: StoredDelivery): void
  /** Replaces the read model; `engineState` undefined keeps the engine's blob, null drops it. */
  updateDelivery(d: StoredDelivery, engineState: string | null | undefined): void
  /** The region's lease row, or undefined when it never had one. */
  lease(region: string): { holder: string; expiresAt: number } | undefined
  setLease(region: string, holder: string, expiresAt: number): void
  fence(region: string): number | undefined
  setFence(region: string, epoch: number): void
  /** Logs the event and queues it in the outbox; returns its log position. */
  insertEvent(region: string, seq: number, epoch: number, e: DeliveryEvent): number
  deleteOutbox(positions: readonly number[]): void
  /** Replaces the region's learned state. */
  setLearned(region: string, state: string, savedAt: number): void
  storedSecret(name: string): string | undefined
  insertSecret(name: string, value: string): void
}

const ok = <R>(value: R): Outcome<R> => ({ ok: true, value })
const refused = (error: DronefleetError): Outcome<never> => ({ ok: false, error })

/**
 * One write, checked in full before anything is written, so a refusal leaves
 * the transaction as it was and the rest of the group commits.
 */
export function applyWrite(t: WriteTables, op: WriteOp): Outcome<WriteResult> {
  switch (op.type) {
    case 'accept':
      return ok(accept(t, op))
    case 'append':
      return append(t, op)
    case 'engineState': {
      const d = t.delivery(op.id)
      if (!d) return refused(unknownDelivery(op.id))
      const why = fenceCheck(t, op.writer)
      if (why) return refused(why)
      t.updateDelivery(d, isTerminal(d.status) ? null : op.state)
      return ok(null)
    }
    case 'learned': {
      const why = fenceCheck(t, op.writer)
      if (why) return refused(why)
      t.setLearned(op.writer.region, op.state, op.now)
      return ok(null)
    }
    case 'published':
      t.deleteOutbox(op.positions)
      return ok(null)
    case 'change': {
      const d = t.delivery(op.id)
      if (!d) return ok(undefined)
      if (isTerminal(d.status)) return ok({ kind: 'ended', delivery: d })
      const requested = { ...d.requested, ...op.change }
      // A cancel stands whatever comes after it.
      if (d.requested?.cancel !== undefined) requested.cancel = d.requested.cancel
      const after = { ...d, requested, updatedAt: op.now }
      t.updateDelivery(after, undefined)
      return ok({ kind: 'requested', delivery: after })
    }
    case 'lease': {
      const held = t.lease(op.region)
      const epoch = t.fence(op.region) ?? 0
      if (held && held.expiresAt > op.now && held.holder !== op.holder) return ok(undefined)
      // Kept without a gap: the same epoch. Taken (from another, or anew after it lapsed): the next one fences the past.
      const kept = held?.holder === op.holder && held.expiresAt > op.now && epoch > 0
      const granted = kept ? epoch : epoch + 1
      if (!kept) t.setFence(op.region, granted)
      t.setLease(op.region, op.holder, op.now + op.ttlMs)
      return ok(granted)
    }
    case 'release': {
      const held = t.lease(op.region)
      if (held?.holder === op.holder) t.setLease(op.region, op.holder, 0)
      return ok(null)
    }
    case 'claim': {
      const epoch = (t.fence(op.region) ?? 0) + 1
      t.setFence(op.region, epoch)
      return ok(epoch)
    }
    case 'secret': {
      const known = t.storedSecret(op.name)
      if (known !== undefined) return ok(known)
      t.insertSecret(op.name, op.value)
      return ok(op.value)
    }
  }
}

function accept(t: WriteTables, op: Extract<WriteOp, { type: 'accept' }>): AcceptResult {
  const { order, idempotencyKey, fingerprint } = op.input
  let prior = idempotencyKey === null ? undefined : t.inboxByKey(idempotencyKey)
  if (!prior) {
    const sameId = t.inboxById(order.id)
    if (sameId) prior = { id: order.id, fingerprint: sameId.fingerprint }
  }
  if (prior) {
    const d = t.delivery(prior.id)
    if (prior.fingerprint !== fingerprint || !d) return { kind: 'conflict', id: prior.id }
    return { kind: 'replay', delivery: d }
  }
  const d = acceptedDelivery(order, op.input.region ?? DEFAULT_REGION, op.now)
  t.insertInbox(op)
  t.insertDelivery(d)
  return { kind: 'accepted', delivery: d }
}

/** Null when the writer may write; raises the region's epoch to a newer writer's. */
function fenceCheck(t: WriteTables, w: Writer): DronefleetError | null {
  const held = t.fence(w.region)
  if (held !== undefined && w.epoch < held) return fenced(w.region, held, w.epoch)
  if (held === undefined || w.epoch > held) t.setFence(w.region, w.epoch)
  return null
}

function append(t: WriteTables, op: Extract<WriteOp, { type: 'append' }>): Outcome<LoggedEvent> {
  const e = op.event
  const before = t.delivery(e.deliveryId)
  // A DeliveryCreated for a delivery requested around the store (straight to the broker) starts its read model.
  const first = !before && e.type === 'DeliveryCreated' ? createdDelivery(e, op.writer.region, op.now) : undefined
  const base = before ?? first
  if (!base) return refused(unknownDelivery(e.deliveryId))
  const why = fenceCheck(t, op.writer)
  if (why) return refused(why)
  if (first) t.insertDelivery(first)
  const after = foldDelivery(base, e, op.now)
  t.updateDelivery(after, isTerminal(after.status) ? null : op.engineState)
  const pos = t.insertEvent(after.region, after.seq, op.writer.epoch, e)
  return ok({ pos, seq: after.seq, epoch: op.writer.epoch, event: e })
}
