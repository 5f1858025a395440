import type { LatLon, Zone } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import type { Wind } from './wind.js'

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
  wind: Wind
  depots: Depot[]
  demand: Demand
  /** No-fly (and watched) zones the engine knows from the start; drop-offs are drawn outside the no-fly ones. */
  zones: Zone[]
  faults: Fault[]
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
  /** Mean delivery requests per hour (Poisson arrivals) from the start. */
  ratePerHour: number
  /** Later changes of the rate, by time after the start; ascending. */
  phases: Array<{ atS: number; ratePerHour: number }>
  /** The delivery area: a circle (polygon empty) or a polygon; `center` is the polygon's centroid then. */
  area: { center: LatLon; radiusM: number; polygon: LatLon[] }
  /** When not empty, drop-offs are uniform within one of these, chosen by weight. */
  hotspots: Array<{ center: LatLon; radiusM: number; weight: number }>
  /** Pickup points chosen by weight; empty means the depots that have drones. */
  pickups: Array<{ position: LatLon; weight: number }>
  /** Package weight, uniform in [min, max], kg. */
  weightKg: { min: number; max: number }
  /** Deadline after the request, s. */
  deadlineS: number
}

export type FaultType = 'droneFailure' | 'gpsNoise' | 'gpsDropout' | 'telemetryLoss' | 'telemetryDelay' | 'batteryDrain' | 'brokerOutage'

/** Which drones a fault hits. */
export type DroneSelection =
  | { kind: 'all' }
  | { kind: 'count'; count: number }
  | { kind: 'share'; fraction: number }
  | { kind: 'ids'; ids: string[] }

export interface Fault {
  type: FaultType
  /** Start, s after the start of the run. */
  atS: number
  /** Duration, s; null for the rest of the run (and for a droneFailure, which is permanent). */
  forS: number | null
  drones: DroneSelection
  /** gpsNoise: standard deviation, m. */
  sigmaM: number
  /** telemetryLoss: share of samples lost. */
  fraction: number
  /** telemetryDelay: s. */
  delayS: number
  /** batteryDrain: times faster than normal. */
  factor: number
  /** Line in the scenario file. */
  line: number
}

/** A threshold on a summary figure, e.g. `completionRate: ">= 0.9"`. */
export interface Expectation {
  figure: string
  op: '>=' | '<=' | '>' | '<' | '=='
  value: number
  /** Line in the scenario file, for messages. */
  line: number
}
