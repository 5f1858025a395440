import { BatchError } from '../../protocol/batchCodec.js'
import { TelemetryError } from '../../protocol/telemetry.js'
import type { HandlerContext } from './HandlerContext.js'

/**
 * What a handler does with an error instead of throwing it: one broken drone
 * must not stop the fleet. Bad telemetry is counted by reason (a corrupt or
 * truncated batch frame, or one of another format, is dropped whole and counted once, as `malformed`);
 * anything else is the engine's own failure, logged.
 */
export function rejectMessage(ctx: HandlerContext, topic: string, err: unknown): void {
  if (err instanceof BatchError) {
    ctx.engine.rejectTelemetry('malformed')
    ctx.logger?.debug({ topic, reason: err.reason, field: err.field }, err.message)
  } else if (err instanceof TelemetryError) {
    ctx.engine.rejectTelemetry(err.reason)
    ctx.logger?.debug({ topic, field: err.field, reason: err.reason }, err.message)
  } else {
    ctx.logger?.error({ err, topic }, 'engine failed on a message')
  }
}
