import type { DeliveryEvent } from '../protocol/events.js'
import type { WriteTables } from './applyWrite.js'
import { DEFAULT_REGION, type StoredDelivery } from './Store.js'
import type { WriteOp } from './writeOps.js'

interface StagedDelivery {
  n: number
  d: StoredDelivery
  isNew: boolean
  changed: boolean
  /** undefined: the engine's blob is left as it is. */
  engineState: string | null | undefined
}

/**
 * A batch's view of the rows it touches, for a backend that cannot afford a
 * round trip per read (PostgreSQL): the rows are loaded first (set-based,
 * locked), applyWrite runs on this overlay, and what changed is written back
 * set-based. Log positions and creation numbers are handed out from ranges
 * reserved before the batch runs.
 */
export class StagedTables implements WriteTables {
  readonly inbox = new Map<string, { fingerprint: string; key: string | null }>()
  readonly keys = new Map<string, string>()
  readonly deliveries = new Map<string, StagedDelivery>()
  readonly fences = new Map<string, { epoch: number; existed: boolean; changed: boolean }>()
  readonly secrets = new Map<string, { value: string; isNew: boolean }>()
  readonly leases = new Map<string, { holder: string; expiresAt: number; existed: boolean; changed: boolean }>()
  readonly newInbox: Array<{ id: string; key: string | null; fingerprint: string; region: string; request: string; acceptedAt: number }> =
    []
  readonly newEvents: Array<{ pos: number; deliveryId: string; seq: number; epoch: number; body: string; region: string }> = []
  readonly published = new Set<number>()
  /** Learned states saved in this batch, by region (the last one of a region wins). */
  readonly learned = new Map<string, { state: string; savedAt: number }>()

  constructor(
    private readonly positions: number[],
    private readonly numbers: number[],
  ) {}

  loadInbox(id: string, key: string | null, fingerprint: string): void {
    this.inbox.set(id, { fingerprint, key })
    if (key !== null) this.keys.set(key, id)
  }

  loadDelivery(n: number, d: StoredDelivery): void {
    this.deliveries.set(d.id, { n, d, isNew: false, changed: false, engineState: undefined })
  }

  inboxByKey(key: string): { id: string; fingerprint: string } | undefined {
    const id = this.keys.get(key)
    return id === undefined ? undefined : { id, fingerprint: (this.inbox.get(id) as { fingerprint: string }).fingerprint }
  }

  inboxById(id: string): { fingerprint: string } | undefined {
    return this.inbox.get(id)
  }

  insertInbox(op: Extract<WriteOp, { type: 'accept' }>): void {
    const { order, idempotencyKey, fingerprint } = op.input
    this.loadInbox(order.id, idempotencyKey, fingerprint)
    this.newInbox.push({
      id: order.id,
      key: idempotencyKey,
      fingerprint,
      region: op.input.region ?? DEFAULT_REGION,
      request: JSON.stringify(order),
      acceptedAt: op.now,
    })
  }

  delivery(id: string): StoredDelivery | undefined {
    return this.deliveries.get(id)?.d
  }

  insertDelivery(d: StoredDelivery): void {
    const n = this.numbers.shift()
    if (n === undefined) throw new Error('staged batch ran out of reserved creation numbers')
    this.deliveries.set(d.id, { n, d, isNew: true, changed: true, engineState: null })
  }

  updateDelivery(d: StoredDelivery, engineState: string | null | undefined): void {
    const row = this.deliveries.get(d.id) as StagedDelivery
    row.d = d
    row.changed = true
    if (engineState !== undefined) row.engineState = engineState
  }

  lease(region: string): { holder: string; expiresAt: number } | undefined {
    return this.leases.get(region)
  }

  setLease(region: string, holder: string, expiresAt: number): void {
    this.leases.set(region, { holder, expiresAt, existed: this.leases.get(region)?.existed ?? false, changed: true })
  }

  fence(region: string): number | undefined {
    return this.fences.get(region)?.epoch
  }

  setFence(region: string, epoch: number): void {
    this.fences.set(region, { epoch, existed: this.fences.get(region)?.existed ?? false, changed: true })
  }

  insertEvent(region: string, seq: number, epoch: number, e: DeliveryEvent): number {
    const pos = this.positions.shift()
    if (pos === undefined) throw new Error('staged batch ran out of reserved log positions')
    this.newEvents.push({ pos, deliveryId: e.deliveryId, seq, epoch, body: JSON.stringify(e), region })
    return pos
  }

  deleteOutbox(positions: readonly number[]): void {
    for (const p of positions) this.published.add(p)
  }

  setLearned(region: string, state: string, savedAt: number): void {
    this.learned.set(region, { state, savedAt })
  }

  storedSecret(name: string): string | undefined {
    return this.secrets.get(name)?.value
  }

  insertSecret(name: string, value: string): void {
    this.secrets.set(name, { value, isNew: true })
  }
}
