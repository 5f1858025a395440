import type { Topics } from '../../protocol/topics.js'
import { handleBatchFrame } from './handleBatchFrame.js'
import { handleClock } from './handleClock.js'
import { handleProbe } from './handleProbe.js'
import { handleRequest } from './handleRequest.js'
import { handleTelemetry } from './handleTelemetry.js'
import type { HandlerContext } from './HandlerContext.js'

/** Handles one message; never throws (see rejectMessage). */
export type MessageHandler = (ctx: HandlerContext, topic: string, payload: Buffer) => void

/**
 * Which handler a topic goes to: one per message kind, as aedes has one per
 * packet type. Returns a module function, so routing allocates nothing.
 */
export class TopicRouter {
  private readonly telemetryPrefix: string
  private readonly batchPrefix: string

  /** `probeTopic`: the adapter's own lag probe's topic, if it runs one. */
  constructor(
    private readonly topics: Topics,
    private readonly probeTopic?: string,
  ) {
    this.telemetryPrefix = topics.telemetry('')
    this.batchPrefix = topics.telemetryBatch('')
  }

  /** The handler of a topic the engine subscribes to; undefined for any other. */
  route(topic: string): MessageHandler | undefined {
    if (topic === this.probeTopic) return handleProbe
    if (topic === this.topics.simClock) return handleClock
    if (topic === this.topics.requests) return handleRequest
    if (topic.startsWith(this.batchPrefix)) return handleBatchFrame
    if (topic.startsWith(this.telemetryPrefix)) return handleTelemetry
    return undefined
  }
}
