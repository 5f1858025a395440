import type { HandlerContext } from './HandlerContext.js'

/** The adapter's own lag probe, back from the broker (LagProbe): the engine's lag figure. */
export function handleProbe(ctx: HandlerContext, _topic: string, payload: Buffer): void {
  if (!ctx.probe) return
  ctx.probe.back(payload)
  ctx.engine.recordLag(ctx.probe.lagMs())
}
