import type { EngineOptions } from '../engine/Engine.js'
import { DEFAULT_REGION } from '../protocol/topics.js'
import type { Scenario } from '../sim/scenario/Scenario.js'
import { handlingVaries } from '../sim/scenario/Scenario.js'
import { windVector } from '../sim/wind.js'

/** What the engine learns from a scenario before any drone reports. */
export type ScenarioEngineOptions = Pick<EngineOptions, 'profile' | 'depots' | 'zones' | 'wind' | 'releaseOn'> & {
  /** The regions whose topics the engine listens to (startMqttEngine's `regions`); absent for a world without regions. */
  regions?: string[]
}

/**
 * The engine's options from a scenario, for `run` and `serve --scenario`:
 * the drones' profile, the depots, the zones (no-fly ones are routed around
 * and refused at the gateway) and the wind, so that the engine's plans, ETAs
 * and feasibility see the same air the simulated drones fly in. The
 * scenario's wind is steady and uniform: one vector for every place and time.
 * It is only a forecast when the scenario's `world` makes the true wind differ;
 * the engine is never told the world. Where handling times vary, it is told
 * to recognise a release by the drone leaving (`releaseOn: departure`).
 * With regions, the one engine listens to every one of them, and to the
 * default region's topics, where the gateway sends every request.
 */
export function scenarioEngineOptions(s: Scenario): ScenarioEngineOptions {
  const air = windVector(s.wind)
  return {
    profile: s.drone,
    depots: s.depots.map((d) => d.position),
    zones: s.zones.map((z) => ({ ...z, polygon: [...z.polygon] })),
    // Still air is the engine's default; leaving it out keeps calm runs on the no-wind path.
    ...(s.wind.speedMps > 0 ? { wind: () => air } : {}),
    ...(handlingVaries(s.world) ? { releaseOn: 'departure' as const } : {}),
    ...(s.regions.length > 0 ? { regions: [DEFAULT_REGION, ...s.regions.map((r) => r.id)] } : {}),
  }
}
