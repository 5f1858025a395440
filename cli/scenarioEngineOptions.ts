import type { EngineOptions } from '../engine/Engine.js'
import type { Scenario } from '../sim/Scenario.js'
import { windVector } from '../sim/wind.js'

/** What the engine learns from a scenario before any drone reports. */
export type ScenarioEngineOptions = Pick<EngineOptions, 'profile' | 'depots' | 'zones' | 'wind'>

/**
 * The engine's options from a scenario, for `run` and `serve --scenario`:
 * the drones' profile, the depots, the zones (no-fly ones are routed around
 * and refused at the gateway) and the wind, so that the engine's plans, ETAs
 * and feasibility see the same air the simulated drones fly in. The
 * scenario's wind is steady and uniform: one vector for every place and time.
 */
export function scenarioEngineOptions(s: Scenario): ScenarioEngineOptions {
  const air = windVector(s.wind)
  return {
    profile: s.drone,
    depots: s.depots.map((d) => d.position),
    zones: s.zones.map((z) => ({ ...z, polygon: [...z.polygon] })),
    // Still air is the engine's default; leaving it out keeps calm runs on the no-wind path.
    ...(s.wind.speedMps > 0 ? { wind: () => air } : {}),
  }
}
