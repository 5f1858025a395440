import { OptionChecker } from '../protocol/OptionChecker.js'

export interface SupervisorOptions {
  /** A drone is lost after this many of its reporting intervals of silence (event time). Default 5. */
  silenceFactor?: number
  /** The interval assumed until a drone's own can be estimated (two samples), ms. Default 1000. */
  defaultIntervalMs?: number
  /** Never declare a drone lost sooner than this, ms, however fast it reports. Default 10,000. */
  minSilenceMs?: number
  /**
   * When at least this share of the drones not yet lost has gone quiet at
   * once (silent for over half their limit), and at least `outageMinDrones`
   * of them, the engine is taken to be cut off from the fleet (a broker or
   * network outage) rather than the drones to have failed: silence during
   * it does not count against any drone, up to `outageMaxMs`. Default 0.5;
   * above 1 turns it off.
   */
  outageShare?: number
  /** Fewer quiet drones than this are never taken for an outage. Default 5. */
  outageMinDrones?: number
  /** How much suspected-outage silence is excused, ms: a longer outage loses the drones still silent after it. Default 120,000. */
  outageMaxMs?: number
}

export type ResolvedSupervisorOptions = Readonly<Required<SupervisorOptions>>

/**
 * The supervisor's options with every default filled in, checked and frozen.
 * `check` names the part: the Supervisor itself, or the Engine's
 * `supervisor` option.
 */
export function resolveSupervisorOptions(o: SupervisorOptions = {}, check = new OptionChecker('Supervisor')): ResolvedSupervisorOptions {
  if (typeof o !== 'object' || o === null) return check.fail('', o, 'an object')
  return Object.freeze({
    silenceFactor: check.number('silenceFactor', o.silenceFactor, 5, { above: 0 }),
    defaultIntervalMs: check.number('defaultIntervalMs', o.defaultIntervalMs, 1000, { above: 0 }),
    minSilenceMs: check.number('minSilenceMs', o.minSilenceMs, 10_000, { min: 0 }),
    outageShare: check.number('outageShare', o.outageShare, 0.5, { above: 0 }),
    outageMinDrones: check.number('outageMinDrones', o.outageMinDrones, 5, { min: 0, integer: true }),
    outageMaxMs: check.number('outageMaxMs', o.outageMaxMs, 120_000, { min: 0 }),
  })
}
