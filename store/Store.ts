import type { DeliveryEvent, DeliveryStatus } from '../protocol/events.js'
import type { LatLon } from '../protocol/geo.js'
import type { DeliverySnapshot } from '../protocol/tracking.js'

/**
 * The durable store (DESIGN.md §1b): what must outlive a process. One
 * interface, three backends (memory, embedded SQLite, PostgreSQL), the same
 * behaviour, checked by test/store-contract.test.ts.
 *
 * Every write is group-committed: writes issued in the same loop turn (or
 * while the previous transaction runs) share one transaction, and each
 * promise resolves only once its transaction is durable.
 */
export interface Store {
  readonly backend: 'memory' | 'embedded' | 'postgres'

  /**
   * Commits an accepted delivery request to the inbox and creates its read
   * model (status Created), unless its idempotency key (or its id) was
   * accepted before: then the earlier delivery (same fingerprint) or a
   * conflict (another fingerprint). Answer 202 only once this resolves.
   */
  accept(input: AcceptInput): Promise<AcceptResult>

  /**
   * Appends one delivery event to the log with the next sequence number of
   * its delivery, folds it into the read model, and queues it in the outbox,
   * in one transaction. `engineState`, when given, replaces the engine's blob
   * for the delivery in the same transaction. Refused with DF_STORE_FENCED
   * when `writer.epoch` is below the region's epoch, and with DF_NOT_FOUND
   * for a delivery the store never saw (other than DeliveryCreated, which
   * creates the read model of a delivery not accepted here).
   */
  append(writer: Writer, event: DeliveryEvent, engineState?: string): Promise<LoggedEvent>

  /** Replaces the engine's blob for an open delivery (fenced like append). Terminal deliveries drop theirs. */
  saveEngineState(writer: Writer, deliveryId: string, state: string): Promise<void>

  /**
   * Replaces what the engine of `writer.region` has learned (Engine.learned(),
   * as JSON), fenced like append: an engine that lost the region cannot
   * overwrite its successor's.
   */
  saveLearned(writer: Writer, state: string): Promise<void>

  /** What the engine of `region` learned, as last saved; undefined when none was. */
  learned(region: string): Promise<string | undefined>

  /** Committed events not yet marked published, oldest first: what a restarted engine publishes again. */
  unpublished(query?: { region?: string; limit?: number }): Promise<LoggedEvent[]>

  /** Takes events out of the outbox once the broker acknowledged them. */
  markPublished(positions: readonly number[]): Promise<void>

  /** One delivery with its event history, or undefined. */
  get(id: string): Promise<DeliveryDetail | undefined>

  /** A delivery's logged events after sequence number `afterSeq` (0: all), in order. */
  events(id: string, afterSeq?: number): Promise<LoggedEvent[]>

  /** Deliveries newest first, optionally of one status; pass `next` as `after` for the following page. */
  list(query: ListQuery): Promise<StorePage>

  /**
   * Commits a cancel or a reschedule of an open delivery before the gateway
   * answers 202, merged into what was asked before (a cancel stands; a
   * later drop-off or deadline replaces an earlier one): the engine applies
   * it from the store after a restart if the request was lost with it.
   * `ended` for a delivery already terminal; undefined for one never accepted.
   */
  requestChange(id: string, change: DeliveryChange): Promise<ChangeResult | undefined>

  /** Every delivery not yet Completed, Cancelled or Failed (of one region, when given), with the engine's blob: what recovery restores. */
  openDeliveries(region?: string): Promise<OpenDelivery[]>

  /**
   * Takes `region` over: raises its epoch by one and returns it, so every
   * write of an earlier holder is refused from now on. What an engine calls
   * at start until leases (issue 13) hand epochs out.
   */
  claimEpoch(region: string): Promise<number>

  /**
   * Takes or keeps the lease of `region` for `holder` until ttlMs from now
   * (the store's clock: PostgreSQL's for a shared store). A lease that is
   * free, expired or the holder's own is granted; granting it to a new
   * holder (or anew after it expired) raises the region's epoch, so every
   * write of an earlier holder is refused from then on. Returns the epoch
   * the holder now writes with, or undefined while another holds it.
   */
  lease(region: string, holder: string, ttlMs: number): Promise<number | undefined>

  /** Gives up `holder`'s lease of `region` at once (a clean stop, a hand-over). */
  releaseLease(region: string, holder: string): Promise<void>

  /** Every lease, expired ones included, with the store's clock now. */
  leases(): Promise<{ now: number; leases: Lease[] }>

  /**
   * The secret stored under `name`, or, when there is none yet, the value of
   * `generate()` stored atomically (two processes racing both get the winner's).
   */
  secret(name: string, generate: () => string): Promise<string>

  /** Commits what was submitted, then releases files and connections; a second call waits for the first. */
  close(): Promise<void>
}

/** A delivery request as the gateway accepts it (the fields of CreateDelivery). */
export interface DeliveryOrder {
  id: string
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  /** ms since the epoch, or null for "as soon as possible". */
  deadline: number | null
}

export interface AcceptInput {
  order: DeliveryOrder
  /** The client's Idempotency-Key, or null. */
  idempotencyKey: string | null
  /** Digest of the request body: the same key with another fingerprint is a conflict. */
  fingerprint: string
  /** The region of its pickup; `default` when absent. */
  region?: string
}

export type AcceptResult =
  /** Committed now. */
  | { kind: 'accepted'; delivery: StoredDelivery }
  /** The key (or id) was accepted before with the same fingerprint: that delivery, as it is now. */
  | { kind: 'replay'; delivery: StoredDelivery }
  /** The key (or id) was accepted before with another fingerprint. */
  | { kind: 'conflict'; id: string }

/** A change asked of an open delivery (DELETE and PATCH /v1/deliveries/{id}). */
export interface DeliveryChange {
  /** Cancel, with this reason. */
  cancel?: string
  dropoff?: LatLon
  /** ms since the epoch, or null for "as soon as possible". */
  deadline?: number | null
}

export type ChangeResult = { kind: 'requested' | 'ended'; delivery: StoredDelivery }

/** A region's lease as stored (see Store.lease). */
export interface Lease {
  region: string
  holder: string
  /** The region's epoch: what the holder's writes carry. */
  epoch: number
  /** ms since the epoch (the store's clock); in the past, it is free to take. */
  expiresAt: number
}

/** Who writes: the engine that holds `region` at `epoch` (its lease, issue 13). */
export interface Writer {
  region: string
  epoch: number
}

/** The read model of one delivery (DeliverySnapshot without its history). */
export interface StoredDelivery extends Omit<DeliverySnapshot, 'history'> {
  region: string
  /** Sequence number of its last logged event; 0 before the engine's DeliveryCreated. */
  seq: number
  /** Changes asked and committed (requestChange), for the engine to apply; never shown by the API. */
  requested?: DeliveryChange
}

export interface DeliveryDetail extends StoredDelivery {
  history: DeliveryEvent[]
}

/** An event as the log holds it. */
export interface LoggedEvent {
  /** Position in the whole log (commit order): the outbox's handle. */
  pos: number
  /** Per-delivery sequence number from 1: consumers skip what they have applied. */
  seq: number
  /** The writer's epoch. */
  epoch: number
  event: DeliveryEvent
}

export interface OpenDelivery {
  delivery: StoredDelivery
  /** What the engine saved with saveEngineState/append; null when it saved nothing (e.g. accepted but not yet created). */
  engineState: string | null
}

export interface ListQuery {
  status?: DeliveryStatus
  /** 1..1000. */
  limit: number
  /** The `next` of the previous page. */
  after?: string
}

export interface StorePage {
  items: StoredDelivery[]
  /** Opaque; null on the last page. */
  next: string | null
}

export { DEFAULT_REGION } from '../protocol/topics.js'

/** How a backend is opened (openStore's options). */
export interface StoreOptions {
  /** Wall clock for createdAt/updatedAt and migration records; Date.now when absent. */
  now?: () => number
  /** How long the first write of a group waits for others, ms; 0 (default): the writes of one loop turn. */
  groupDelayMs?: number
  /** Most writes in one transaction. */
  maxGroup?: number
}

/** GroupCommit's options from a store's. */
export const groupOptions = (o: StoreOptions): { delayMs?: number; maxBatch?: number } => ({
  ...(o.groupDelayMs !== undefined ? { delayMs: o.groupDelayMs } : {}),
  ...(o.maxGroup !== undefined ? { maxBatch: o.maxGroup } : {}),
})
