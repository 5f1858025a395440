import { OptionChecker } from '../protocol/OptionChecker.js'
import type { LoadPhase } from './LoadPlan.js'
import type { LoadKind } from './LoadWorld.js'

/** What the load generator checks of its options (LoadOptions documents the rest). */
export interface LoadTunables {
  phases: LoadPhase[]
  drones: number
  connections: number
  format: 'json' | 'binary'
  /** Records per binary frame at most. */
  batchSize: number
  /** A partly filled frame goes out once its first record has waited this long, ms. */
  lingerMs: number
  qos: 0 | 1
  /** QoS 1 publishes awaiting PUBACK per connection, at most. */
  window: number
  wsClients: number
  warmupS?: number
  /** `realistic` (default): depots, idle and busy drones, deliveries, zones; `ingest`: every drone cruising, nothing else. */
  load?: LoadKind
  /** Delivery requests POSTed per second in a realistic load (default: one a second per 100 drones, at most 50). */
  deliveriesPerS?: number
  /** Share of positions sent twice (a duplicate right after the first), 0..1. Default 0. */
  duplicateRate?: number
  /** Share of positions held back and sent after the drone's next one (out of order), 0..1. Default 0. */
  reorderRate?: number
  /** Over an external broker: `thread` (default, as `serve` runs) decodes telemetry in a decoder thread; `inline` on the engine's event loop. */
  decoder?: 'thread' | 'inline'
}

export type ResolvedLoadOptions<O extends LoadTunables> = Readonly<O & Required<LoadTunables>>

/**
 * The load test's options, checked and frozen before anything starts (the
 * phases are LoadPlan's to check): a bad one is a DF_OPTION_INVALID error
 * naming it, not a publisher worker that fails half-way with a bare message.
 */
export function resolveLoadOptions<O extends LoadTunables>(o: O, check = new OptionChecker('Load test')): ResolvedLoadOptions<O> {
  const count = { min: 1, integer: true } as const
  const drones = check.number('drones', o.drones, undefined, count)
  if (o.format !== 'json' && o.format !== 'binary') check.fail('format', o.format, 'json or binary')
  if (o.qos !== 0 && o.qos !== 1) check.fail('qos', o.qos, '0 or 1')
  return Object.freeze({
    ...o,
    drones,
    connections: check.number('connections', o.connections, undefined, count),
    batchSize: check.number('batchSize', o.batchSize, undefined, count),
    lingerMs: check.number('lingerMs', o.lingerMs, undefined, { min: 0 }),
    window: check.number('window', o.window, undefined, count),
    wsClients: check.number('wsClients', o.wsClients, undefined, { min: 0, max: drones, integer: true }),
    warmupS: check.number('warmupS', o.warmupS, 0, { min: 0 }),
    load:
      o.load === undefined || o.load === 'realistic' || o.load === 'ingest'
        ? (o.load ?? 'realistic')
        : check.fail('load', o.load, 'realistic or ingest'),
    deliveriesPerS: check.number('deliveriesPerS', o.deliveriesPerS, Math.min(50, Math.ceil(drones / 100)), { min: 0 }),
    duplicateRate: check.number('duplicateRate', o.duplicateRate, 0, { min: 0, max: 1 }),
    reorderRate: check.number('reorderRate', o.reorderRate, 0, { min: 0, max: 1 }),
    decoder:
      o.decoder === undefined || o.decoder === 'thread' || o.decoder === 'inline'
        ? (o.decoder ?? 'thread')
        : check.fail('decoder', o.decoder, 'thread or inline'),
  })
}
