import { Type } from '@sinclair/typebox'
import type { Dimension } from '../../protocol/units.js'
import { QuantityMap, type Bounds } from './schemaNodes.js'

/** YAML keys of `world`, by part: dimension, bounds, meaning, default (scenarios/README.md explains each). */
export const WORLD_KEYS = {
  wind: {
    forecastError: [
      'fraction',
      { minimum: 0, maximum: 2 },
      'The true mean wind is the forecast (`wind`) plus a vector of this share of its speed, in a direction drawn from the seed',
      0,
    ],
    gusts: ['speed', { minimum: 0, maximum: 30 }, 'Standard deviation of each gust component', 0],
    gustSize: ['length', { minimum: 50, maximum: 50_000 }, 'Typical size of a gust', 1500],
    gustTime: ['time', { minimum: 10, maximum: 86_400 }, 'Typical life of a gust (gusts also drift with the mean wind)', 180],
    drift: ['speed', { minimum: 0, maximum: 30 }, 'Standard deviation of each component of the mean wind’s slow wander', 0],
    driftTime: ['time', { minimum: 60, maximum: 86_400 }, 'Typical time over which the mean wind wanders', 3600],
  },
  drones: {
    speedSpread: ['fraction', { minimum: 0, maximum: 0.5 }, "Each drone's airspeed is cruiseSpeed × (1 ± up to this), uniform", 0],
    batterySpread: ['fraction', { minimum: 0, maximum: 0.9 }, "Each drone's battery holds drone.battery less up to this share, uniform", 0],
    batteryAgeing: ['fraction', { minimum: 0, maximum: 0.1 }, 'Capacity lost per full battery drawn, as a share of drone.battery', 0],
  },
  handling: {
    spread: ['fraction', { minimum: 0, maximum: 3 }, 'Coefficient of variation of handling times around drone.handling (lognormal)', 0],
    absent: ['fraction', { minimum: 0, maximum: 1 }, 'Chance that nobody is at the door at a drop-off', 0],
    absentWait: ['time', { minimum: 0, maximum: 3600 }, 'Mean extra hover when nobody is at the door (exponential)', 120],
  },
  telemetry: {
    delay: ['time', { minimum: 0, maximum: 60 }, 'How late every sample reaches the engine', 0],
    jitter: ['time', { minimum: 0, maximum: 60 }, 'Up to this much more delay, uniform per sample', 0],
  },
} as const satisfies Record<string, Record<string, readonly [Dimension, Bounds, string, number]>>

/** The scenario's `world:` section: how the simulated world differs from what the engine is told. */
export const worldSchema = Type.Object(
  {
    wind: QuantityMap(
      WORLD_KEYS.wind,
      'The wind the drones really fly in: the forecast (`wind`) with an error, gusts that vary in space and time, and a slow drift. The engine is told only the forecast.',
    ),
    drones: QuantityMap(WORLD_KEYS.drones, 'Drones that differ from the profile: their own airspeed and battery, a battery that ages.'),
    handling: QuantityMap(WORLD_KEYS.handling, 'Handling times at pickups and drop-offs drawn from a distribution.'),
    telemetry: QuantityMap(WORLD_KEYS.telemetry, 'Telemetry that reaches the engine late.'),
  },
  {
    additionalProperties: false,
    description:
      'How the simulated world differs from what the engine is told (the drone profile, the `wind` forecast). Every part is off by default.',
  },
)
