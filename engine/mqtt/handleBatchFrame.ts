import { openBatch } from '../../protocol/batchCodec.js'
import { acceptSample } from './acceptSample.js'
import type { HandlerContext } from './HandlerContext.js'
import { rejectMessage } from './rejectMessage.js'

/**
 * A binary frame on `telemetry-batch/{shard}`: its header and length checked
 * (a truncated frame is dropped and counted once), each bad record skipped
 * and counted by reason (it costs that record, not the other 999), each good
 * one applied through the context's one scratch sample. The hot path: no
 * allocation per record.
 */
export function handleBatchFrame(ctx: HandlerContext, topic: string, payload: Buffer): void {
  try {
    const r = openBatch(payload)
    const { scratch, observe, receive } = ctx
    const wall = ctx.now()
    for (let i = 0; r.badCount > 0 && i < r.count; i++) if (!r.valid(i)) ctx.engine.rejectTelemetry(r.rejectReason(i)!)
    if (receive) for (let i = 0; i < r.count; i++) if (r.valid(i)) receive(scratch.read(r, i))
    if (!observe) {
      for (let i = 0; i < r.count; i++) if (r.valid(i)) acceptSample(ctx, scratch.read(r, i), wall)
      return
    }
    // Observed once the whole frame is applied, at that time: the figure is to engine-processed.
    const taken = scratch.takenFor(r.count)
    let k = 0
    for (let i = 0; i < r.count; i++) if (r.valid(i) && acceptSample(ctx, scratch.read(r, i), wall)) taken[k++] = i
    const done = ctx.now()
    for (let j = 0; j < k; j++) observe(scratch.read(r, taken[j] as number), done)
  } catch (err) {
    rejectMessage(ctx, topic, err)
  }
}
