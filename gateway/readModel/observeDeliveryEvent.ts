import type { DeliveryEvent } from '../../protocol/events.js'
import type { ReadModelContext } from './ReadModelContext.js'

/**
 * Side effects of an event, before the book applies it (they read the state
 * before it): the ingestion window and the assignment latency.
 */
export function observeDeliveryEvent(ctx: ReadModelContext, e: DeliveryEvent): void {
  if (e.type === 'DeliveryCreated') ctx.limiter.release(e.deliveryId)
  else if (e.type === 'DroneAssigned') {
    const before = ctx.book.get(e.deliveryId)
    // The first assignment only: a reassignment measures something else.
    if (before && before.status === 'Created') ctx.metrics.assignmentLatency.observe(Math.max(0, ctx.now() - before.createdAt) / 1000)
  }
}
