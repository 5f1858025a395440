import { decodeTelemetryJson, TelemetryError } from '../../protocol/telemetry.js'
import { acceptSample } from './acceptSample.js'
import type { HandlerContext } from './HandlerContext.js'
import { rejectMessage } from './rejectMessage.js'

/**
 * One JSON sample on `telemetry/{droneId}`. A sample naming another drone
 * than its topic is rejected (`topic`); a topic that names no drone is ignored.
 */
export function handleTelemetry(ctx: HandlerContext, topic: string, payload: Buffer): void {
  try {
    const droneId = ctx.topics.droneIdOf(topic)
    if (droneId === undefined) return
    const sample = decodeTelemetryJson(payload)
    if (sample.droneId !== droneId) {
      throw new TelemetryError('topic', `telemetry for "${sample.droneId}" arrived on the topic of "${droneId}"`, 'droneId', sample.droneId)
    }
    ctx.receive?.(sample)
    const wall = ctx.now()
    // Observed after the engine applied it (index, geofences, ETA): the figure is to engine-processed.
    if (acceptSample(ctx, sample, wall) && ctx.observe) ctx.observe(sample, ctx.now())
  } catch (err) {
    rejectMessage(ctx, topic, err)
  }
}
