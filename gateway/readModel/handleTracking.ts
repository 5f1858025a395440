import { decodeTracking } from '../../protocol/tracking.js'
import type { ReadModelContext } from './ReadModelContext.js'

/**
 * A tracking message on `deliveries/{id}/tracking`: position and ETA into the
 * book. A payload that is not tracking for this topic's delivery is logged
 * and dropped; a failure is logged, never thrown.
 */
export function handleTracking(ctx: ReadModelContext, topic: string, id: string, payload: Buffer): void {
  try {
    const m = decodeTracking(payload)
    if (m && m.deliveryId === id) ctx.book.applyTracking(m)
    else {
      ctx.metrics.messagesRejected?.inc({ kind: 'tracking' })
      ctx.logger?.warn({ topic }, 'ignored a payload that is not a tracking message for this topic')
    }
  } catch (err) {
    ctx.logger?.error({ err, topic }, 'failed to apply a delivery message')
  }
}
