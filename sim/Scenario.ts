import type { LatLon } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'

/**
 * A scenario after loading: validated, in SI units, frozen. The YAML format
 * (with unit strings such as "15 m/s") is described in scenarios/README.md;
 * sim/loadScenario.ts turns one into the other.
 */
export interface Scenario {
  name: string
  seed: number
  /** Simulated start time, ms since the epoch. */
  start: number
  /** Simulated duration, s. */
  durationS: number
  /** Multiple of real time, or 'max' for as fast as the engine keeps up. */
  speed: number | 'max'
  /** Simulation step and telemetry interval, s. */
  tickS: number
  drone: DroneProfile
  depots: Depot[]
  demand: Demand
  expect: Expectation[]
  /** sha256 of the file's bytes, to stamp results with. */
  hash: string
}

export interface Depot {
  id: string
  position: LatLon
  drones: number
}

export interface Demand {
  /** Mean delivery requests per hour (Poisson arrivals). */
  ratePerHour: number
  /** Drop-offs are uniform in this circle. */
  area: { center: LatLon; radiusM: number }
  /** Package weight, uniform in [min, max], kg. */
  weightKg: { min: number; max: number }
  /** Deadline after the request, s. */
  deadlineS: number
}

/** A threshold on a summary figure, e.g. `completionRate: ">= 0.9"`. */
export interface Expectation {
  figure: string
  op: '>=' | '<=' | '>' | '<' | '=='
  value: number
  /** Line in the scenario file, for messages. */
  line: number
}
