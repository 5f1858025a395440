import type { Logger } from 'pino'
import type { Topics } from '../../protocol/topics.js'
import type { TelemetrySample } from '../../protocol/telemetry.js'
import type { Engine } from '../Engine.js'
import type { BatchScratch } from './BatchScratch.js'
import type { IdleClock } from './IdleClock.js'
import type { LagProbe } from './LagProbe.js'

/** Publishes a JSON body; failures are the publisher's to log, never thrown. */
export type Publish = (topic: string, body: unknown, qos: 0 | 1) => void

/**
 * What every message handler is given, built once per adapter (aedes passes
 * its client the same way): handlers are plain functions of (context, topic,
 * payload), so routing a message creates no closure and no object.
 */
export interface HandlerContext {
  readonly engine: Engine
  readonly topics: Topics
  /** Wall clock, ms. */
  readonly now: () => number
  readonly publish: Publish
  readonly idleClock: IdleClock
  /** The one sample batch records are read into. */
  readonly scratch: BatchScratch
  /** Hears every accepted sample after it was applied, with the wall time it was processed at. */
  readonly observe: ((s: TelemetrySample, at: number) => void) | undefined
  /** Hears every decoded sample before the engine's seq filter (load tests count duplicates and reordering with it). */
  readonly receive?: ((s: TelemetrySample) => void) | undefined
  readonly logger: Logger | undefined
  /** The engine's lag probe (LagProbe), when the adapter runs one. */
  readonly probe?: LagProbe
  /** When the sample being applied was received, wall ms: the tracking published for it carries it. */
  readonly received?: { at: number }
  /**
   * What waits for the engine's clock (IdleClock.known): requests that
   * arrived before it, and the deliveries recovery found accepted but never
   * created, so each is stamped with the right event time. Undefined when
   * the adapter stamps every request at once (no store: nothing to recover).
   */
  readonly untilClock?: Array<() => void>
  /** Runs `fn` once the engine's decisions so far are out (with a store they wait for their commit; see Outbox.after). */
  readonly afterDecisions?: (fn: () => void) => void
}
