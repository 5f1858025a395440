import { decodeDeliveryEvent } from '../../protocol/decodeDeliveryEvent.js'
import { observeDeliveryEvent } from './observeDeliveryEvent.js'
import type { ReadModelContext } from './ReadModelContext.js'

/**
 * An engine event on `deliveries/{id}/events`: observed, then applied to the
 * book. A payload that is not an event for this topic's delivery is logged
 * and dropped; a failure is logged, never thrown.
 */
export function handleDeliveryEvent(ctx: ReadModelContext, topic: string, id: string, payload: Buffer): void {
  try {
    const logged = decodeDeliveryEvent(payload)
    if (logged && logged.deliveryId === id) {
      // Published again by a recovering engine: already applied.
      if (ctx.applied && !ctx.applied.fresh(id, logged.seq)) return
      // The book keeps events as the engine made them; seq is the log's, not the delivery's.
      const { seq: _, ...e } = logged
      observeDeliveryEvent(ctx, e)
      ctx.book.apply(e)
    } else {
      ctx.metrics.messagesRejected?.inc({ kind: 'event' })
      ctx.logger?.warn({ topic }, 'ignored a payload that is not a delivery event for this topic')
    }
  } catch (err) {
    ctx.logger?.error({ err, topic }, 'failed to apply a delivery message')
  }
}
