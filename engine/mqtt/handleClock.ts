import { decodeClock } from '../../protocol/clock.js'
import type { HandlerContext } from './HandlerContext.js'
import { releaseHeld } from './handleRequest.js'
import { rejectMessage } from './rejectMessage.js'

/**
 * The simulator's `sim/clock {t}`: all telemetry up to t was sent. The engine
 * advances to t and answers `engine/watermark {t}`, and the idle clock stays
 * off while these keep coming. One that does not decode is ignored.
 */
export function handleClock(ctx: HandlerContext, topic: string, payload: Buffer): void {
  try {
    const c = decodeClock(payload)
    if (!c) return
    ctx.idleClock.simClockArrived(c)
    ctx.engine.advance(c.t)
    releaseHeld(ctx)
    // After the commands this tick's decisions sent: the simulator flies the next tick once it has them.
    const watermark = (): void => ctx.publish(ctx.topics.engineWatermark, { t: c.t }, 1)
    if (ctx.afterDecisions) ctx.afterDecisions(watermark)
    else watermark()
  } catch (err) {
    rejectMessage(ctx, topic, err)
  }
}
