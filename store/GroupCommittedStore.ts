import type { DeliveryEvent } from '../protocol/events.js'
import { GroupCommit, type Outcome } from './GroupCommit.js'
import {
  type AcceptInput,
  type AcceptResult,
  type ChangeResult,
  type DeliveryChange,
  groupOptions,
  type LoggedEvent,
  type StoreOptions,
  type Writer,
} from './Store.js'
import type { WriteOp, WriteResult, WriteResults } from './writeOps.js'

/**
 * The write half every backend shares: each write is an op submitted to one
 * GroupCommit, stamped with the store's clock; a backend says only how it
 * commits a group (`commit`).
 */
export abstract class GroupCommittedStore {
  protected readonly writes: GroupCommit<WriteOp, WriteResult>

  protected constructor(
    protected readonly now: () => number,
    o: StoreOptions,
  ) {
    this.writes = new GroupCommit((ops) => this.commit(ops), groupOptions(o))
  }

  /** Transactions committed so far and the writes in them (benches: bench/store-per-delivery.ts). */
  get commits(): { transactions: number; writes: number } {
    return { transactions: this.writes.transactions, writes: this.writes.writes }
  }

  /** Applies one group in one transaction: an outcome per op, in order. */
  protected abstract commit(ops: readonly WriteOp[]): Promise<Array<Outcome<WriteResult>>> | Array<Outcome<WriteResult>>

  protected write<K extends WriteOp['type']>(op: Extract<WriteOp, { type: K }>): Promise<WriteResults[K]> {
    return this.writes.submit(op) as Promise<WriteResults[K]>
  }

  accept(input: AcceptInput): Promise<AcceptResult> {
    return this.write({ type: 'accept', input, now: this.now() })
  }

  append(writer: Writer, event: DeliveryEvent, engineState?: string): Promise<LoggedEvent> {
    return this.write({ type: 'append', writer, event, engineState, now: this.now() })
  }

  async saveEngineState(writer: Writer, id: string, state: string): Promise<void> {
    await this.write({ type: 'engineState', writer, id, state })
  }

  async saveLearned(writer: Writer, state: string): Promise<void> {
    await this.write({ type: 'learned', writer, state, now: this.now() })
  }

  requestChange(id: string, change: DeliveryChange): Promise<ChangeResult | undefined> {
    return this.write({ type: 'change', id, change, now: this.now() })
  }

  lease(region: string, holder: string, ttlMs: number): Promise<number | undefined> {
    return this.write({ type: 'lease', region, holder, ttlMs, now: this.now() })
  }

  async releaseLease(region: string, holder: string): Promise<void> {
    await this.write({ type: 'release', region, holder })
  }

  claimEpoch(region: string): Promise<number> {
    return this.write({ type: 'claim', region })
  }

  async markPublished(positions: readonly number[]): Promise<void> {
    if (positions.length > 0) await this.write({ type: 'published', positions })
  }
}
