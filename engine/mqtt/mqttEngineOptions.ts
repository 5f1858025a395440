import { OptionChecker } from '../../protocol/OptionChecker.js'
import { DEFAULT_MAX_FUTURE_MS } from './IdleClock.js'

/** The MQTT adapter's own tunables (startMqttEngine documents them); the core's are checked by the Engine. */
export interface MqttEngineTunables {
  now?: () => number
  clockTickMs?: number
  simClockQuietMs?: number
  maxFutureMs?: number
  lagProbeMs?: number
  /** How often, with a store, accepted deliveries no engine created are looked for, wall ms (default 2500; 0 turns it off); one found in two sweeps in a row is created (SweepGrace), so within 2.5 to 5 s. */
  storeSweepMs?: number
  /** How often, with a store, what the engine learned is saved there, wall ms (default 30,000; 0: only at close). */
  learnedSaveMs?: number
}

export type ResolvedMqttEngineOptions<O extends MqttEngineTunables> = Readonly<O & Required<MqttEngineTunables>>

/**
 * The adapter's options with its defaults filled in, checked and frozen: a
 * wall clock of Date.now, the adapter's own clock ticking every second, and
 * taken back 5 s after the last `sim/clock`. A bad one is DF_OPTION_INVALID.
 */
export function resolveMqttEngineOptions<O extends MqttEngineTunables>(
  o: O,
  check = new OptionChecker('MQTT engine'),
): ResolvedMqttEngineOptions<O> {
  return Object.freeze({
    ...o,
    now: check.fn('now', o.now, Date.now),
    // 0 turns the adapter's clock off.
    clockTickMs: check.number('clockTickMs', o.clockTickMs, 1000, { min: 0 }),
    simClockQuietMs: check.number('simClockQuietMs', o.simClockQuietMs, 5000, { min: 0 }),
    maxFutureMs: check.number('maxFutureMs', o.maxFutureMs, DEFAULT_MAX_FUTURE_MS, { min: 0 }),
    // 0 turns the lag probe off.
    lagProbeMs: check.number('lagProbeMs', o.lagProbeMs, 1000, { min: 0 }),
    storeSweepMs: check.number('storeSweepMs', o.storeSweepMs, 2500, { min: 0 }),
    learnedSaveMs: check.number('learnedSaveMs', o.learnedSaveMs, 30_000, { min: 0 }),
  })
}
