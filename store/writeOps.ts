import type { DeliveryEvent } from '../protocol/events.js'
import type { AcceptInput, AcceptResult, ChangeResult, DeliveryChange, LoggedEvent, Writer } from './Store.js'

/** One write as the group committer queues it; every backend commits a batch of these in one transaction. */
export type WriteOp =
  | { type: 'accept'; input: AcceptInput; now: number }
  | { type: 'append'; writer: Writer; event: DeliveryEvent; engineState: string | undefined; now: number }
  | { type: 'engineState'; writer: Writer; id: string; state: string }
  | { type: 'learned'; writer: Writer; state: string; now: number }
  | { type: 'published'; positions: readonly number[] }
  | { type: 'secret'; name: string; value: string }
  | { type: 'claim'; region: string }
  | { type: 'change'; id: string; change: DeliveryChange; now: number }
  | { type: 'lease'; region: string; holder: string; ttlMs: number; now: number }
  | { type: 'release'; region: string; holder: string }

/** What each kind of write resolves to. */
export interface WriteResults {
  accept: AcceptResult
  append: LoggedEvent
  engineState: null
  learned: null
  published: null
  secret: string
  claim: number
  change: ChangeResult | undefined
  lease: number | undefined
  release: null
}

export type WriteResult = WriteResults[keyof WriteResults]
