import type { Logger } from 'pino'
import type { AppliedSeqs } from '../../protocol/AppliedSeqs.js'
import type { DeliveryBook } from '../DeliveryBook.js'
import type { IngestLimiter } from '../IngestLimiter.js'
import type { GatewayMetrics } from '../metrics.js'

/** What the read model's handlers are given, built once by subscribeReadModel's caller. */
export interface ReadModelContext {
  readonly book: DeliveryBook
  /** Released when the engine confirms a request (DeliveryCreated). */
  readonly limiter: IngestLimiter
  readonly metrics: Pick<GatewayMetrics, 'assignmentLatency'> & Partial<Pick<GatewayMetrics, 'messagesRejected'>>
  /** Wall clock, ms. */
  readonly now: () => number
  readonly logger: Logger | undefined
  /** Sequence numbers applied per delivery: a repeated event (an engine's recovery) is skipped. subscribeReadModel makes one when absent. */
  readonly applied?: AppliedSeqs
}
