import type { TelemetryRejectReason, TelemetrySample } from '../../protocol/telemetry.js'
import { acceptSample } from './acceptSample.js'
import type { DecodedFrameReader, DecodedMessage } from './DecodedFrame.js'
import type { HandlerContext } from './HandlerContext.js'

/**
 * The JSON samples of one socket read, decoded by the telemetry decoder
 * thread: what it rejected is counted by reason, each sample is applied as
 * handleTelemetry applies one (through one reused sample), and the frame is
 * observed once it is all applied. Never throws.
 */
export function handleDecodedFrame(
  ctx: HandlerContext,
  reader: DecodedFrameReader,
  sample: TelemetrySample,
  f: DecodedMessage & { kind: 'samples' },
): void {
  try {
    if (f.rejected) {
      for (const [reason, n] of Object.entries(f.rejected))
        for (let k = 0; k < (n as number); k++) ctx.engine.rejectTelemetry(reason as TelemetryRejectReason)
    }
    reader.open(f)
    const { observe, receive } = ctx
    const wall = ctx.now()
    let refused = 0
    const taken = observe ? ctx.scratch.takenFor(f.count) : undefined
    let k = 0
    for (let i = 0; i < f.count; i++) {
      const s = reader.read(i, sample)
      const r = f.refused?.[refused]
      if (r && r[0] === i) {
        s.refused = r[1]
        refused++
      } else if (s.refused !== undefined) delete s.refused
      receive?.(s)
      if (acceptSample(ctx, s, wall) && taken) taken[k++] = i
    }
    if (observe && taken) {
      const done = ctx.now()
      for (let j = 0; j < k; j++) observe(reader.read(taken[j] as number, sample), done)
    }
  } catch (err) {
    ctx.logger?.error({ err }, 'engine failed on decoded telemetry')
  } finally {
    reader.close(f)
  }
}
