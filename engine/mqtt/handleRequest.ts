import { decodeRequest } from '../../protocol/requests.js'
import type { HandlerContext } from './HandlerContext.js'
import { rejectMessage } from './rejectMessage.js'

/** Requests held at most while the engine has no clock (see IdleClock.known). */
const MAX_HELD = 10_000

/**
 * A delivery or zone request from the gateway on `requests`; one that does
 * not decode is logged and dropped. It carries no time: the engine stamps it
 * with its event time (the simulator's clock in lockstep), never the wall clock's date.
 */
export function handleRequest(ctx: HandlerContext, topic: string, payload: Buffer): void {
  const held = ctx.untilClock
  if (held && (held.length > 0 || !ctx.idleClock.known())) {
    // Beyond the bound it is dropped here, not lost: it is in the store, and the engine's sweep creates it.
    if (held.length < MAX_HELD) held.push(() => handleRequest(ctx, topic, payload))
    releaseHeld(ctx)
    return
  }
  try {
    const r = decodeRequest(payload)
    if (r) ctx.engine.handleRequest(r, ctx.idleClock.eventNow())
    else {
      ctx.engine.rejectRequest()
      ctx.logger?.warn({ topic }, 'ignored an undecodable request')
    }
  } catch (err) {
    rejectMessage(ctx, topic, err)
  }
}

/** Runs what waited for the engine's clock (held requests, recovery's creations), in order, once it has one. */
export function releaseHeld(ctx: HandlerContext): void {
  const held = ctx.untilClock
  if (!held || held.length === 0 || !ctx.idleClock.known()) return
  for (const run of held.splice(0)) run()
}
