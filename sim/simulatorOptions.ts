import { OptionChecker } from '../protocol/OptionChecker.js'
import { RegionMap } from '../protocol/RegionMap.js'
import type { Scenario } from './scenario/Scenario.js'
import { systemWall, type WallClock } from './WallClock.js'

/** What the simulator checks of its options (SimulatorOptions in Simulator.ts documents each). */
export interface SimulatorTunables {
  scenario: Scenario
  workers: number
  speed?: number | 'max'
  wall?: WallClock
  engineTimeoutMs?: number
  clockRetryMs?: number
  reconnectTimeoutMs?: number
  regions?: readonly string[]
}

export type ResolvedSimulatorOptions<O extends SimulatorTunables> = Readonly<O & Required<Omit<SimulatorTunables, 'scenario' | 'regions'>>>

/**
 * The simulator's options with every default filled in, checked and frozen:
 * the scenario's speed, the system's wall clock, 15 s for the engine to
 * confirm a tick, the clock resent every second, two minutes for a broker
 * to come back. A bad one is a DF_OPTION_INVALID error naming it.
 */
export function resolveSimulatorOptions<O extends SimulatorTunables>(
  o: O,
  check = new OptionChecker('Simulator'),
): ResolvedSimulatorOptions<O> {
  check.present('scenario', o.scenario, 'a loaded scenario')
  const speed = o.speed ?? o.scenario.speed
  if (speed !== 'max') check.number('speed', speed, undefined, { above: 0 })
  const wall = o.wall ?? systemWall
  if (typeof wall.now !== 'function' || typeof wall.sleep !== 'function') check.fail('wall', wall, 'a WallClock {now, sleep}')
  if (o.regions !== undefined) {
    const known = new RegionMap(o.scenario.regions).ids
    const what = `a non-empty list of the scenario's regions (${known.join(', ')})`
    if (!Array.isArray(o.regions) || o.regions.length === 0) check.fail('regions', o.regions, what)
    for (const r of o.regions) if (!known.includes(r)) check.fail('regions', r, what)
  }
  return Object.freeze({
    ...o,
    workers: check.number('workers', o.workers, undefined, { min: 1, integer: true }),
    speed,
    wall,
    engineTimeoutMs: check.number('engineTimeoutMs', o.engineTimeoutMs, 15_000, { above: 0 }),
    clockRetryMs: check.number('clockRetryMs', o.clockRetryMs, 1000, { above: 0 }),
    reconnectTimeoutMs: check.number('reconnectTimeoutMs', o.reconnectTimeoutMs, 120_000, { above: 0 }),
  })
}
