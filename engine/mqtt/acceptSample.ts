import type { TelemetrySample } from '../../protocol/telemetry.js'
import type { HandlerContext } from './HandlerContext.js'
import { releaseHeld } from './handleRequest.js'

/**
 * Applies one decoded sample: checked against the idle clock's bounds (one
 * stamped too far ahead is rejected as `future`; a skewed drone's is moved
 * into the fleet's time), then given to the engine. `wall` is when its
 * message was taken in (a batch's records share their frame's). False when
 * the engine did not take it (future, stale, unknown drone).
 */
export function acceptSample(ctx: HandlerContext, sample: TelemetrySample, wall: number): boolean {
  const ts = ctx.idleClock.heard(sample.ts, wall, sample.droneId)
  if (ts === undefined) {
    ctx.engine.rejectTelemetry('future')
    ctx.logger?.debug({ droneId: sample.droneId, ts: sample.ts }, "sample stamped too far ahead of the engine's clock")
    return false
  }
  sample.ts = ts
  if (ctx.received) ctx.received.at = wall
  if (ctx.engine.handleTelemetry(sample)) {
    if (ctx.untilClock !== undefined && ctx.untilClock.length > 0) releaseHeld(ctx)
    return true
  }
  if (!ctx.engine.has(sample.droneId)) ctx.idleClock.forget(sample.droneId)
  return false
}
