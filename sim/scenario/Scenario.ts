import type { LatLon, Zone } from '../../protocol/geo.js'
import type { DroneProfile } from '../../protocol/profile.js'
import type { Region } from '../../protocol/RegionMap.js'
import type { Wind } from '../wind.js'

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
  /** The forecast: the wind the engine is told about (and, unless `world.wind` says otherwise, the wind the drones fly in). */
  wind: Wind
  /** How the simulated world differs from what the engine is told; every part is off (zero) by default. */
  world: World
  depots: Depot[]
  demand: Demand
  /**
   * The regions the world is split into (empty: one region, `default`, the
   * whole world). Every depot lies in one; protocol/RegionMap.ts says which.
   */
  regions: Region[]
  /** No-fly (and watched) zones the engine knows from the start; drop-offs are drawn outside the no-fly ones. */
  zones: Zone[]
  faults: Fault[]
  expect: Expectation[]
  /** sha256 of the file's bytes, to stamp results with. */
  hash: string
}

/**
 * The simulated world where it differs from the model the engine is given:
 * the true wind, each drone's own figures, handling times, telemetry delay.
 * Every amplitude is 0 by default, and then the world is the model.
 */
export interface World {
  wind: {
    /** The true mean wind is the forecast plus a vector of this share of the forecast's speed, in a direction drawn from the seed. */
    forecastError: number
    /** Standard deviation of each gust component, m/s; gusts are blobs about gustSizeM across living about gustTimeS, carried by the mean wind. */
    gustsMps: number
    gustSizeM: number
    gustTimeS: number
    /** Standard deviation of each component of the mean wind's slow wander, m/s, over about driftTimeS. */
    driftMps: number
    driftTimeS: number
  }
  drones: {
    /** Each drone's airspeed is cruiseSpeed × (1 + u), u uniform in ±speedSpread. */
    speedSpread: number
    /** Each drone's battery holds drone.battery × (1 − u), u uniform in [0, batterySpread]. */
    batterySpread: number
    /** Capacity lost per full battery's worth of energy drawn, as a share of drone.battery. */
    batteryAgeing: number
  }
  handling: {
    /** Coefficient of variation of handling times (lognormal, mean drone.handling). */
    spread: number
    /** Chance that nobody is at the door at a drop-off: the drone hovers an extra wait. */
    absent: number
    /** Mean of that extra wait (exponential), s. */
    absentWaitS: number
  }
  telemetry: {
    /** Every sample reaches the engine this late, s. */
    delayS: number
    /** Plus up to this much more, uniform per sample, s (samples overtaken by newer ones are dropped by the engine). */
    jitterS: number
  }
}

/** The world of the model: no mismatch at all. */
export const MODEL_WORLD: World = Object.freeze({
  wind: Object.freeze({ forecastError: 0, gustsMps: 0, gustSizeM: 1500, gustTimeS: 180, driftMps: 0, driftTimeS: 3600 }),
  drones: Object.freeze({ speedSpread: 0, batterySpread: 0, batteryAgeing: 0 }),
  handling: Object.freeze({ spread: 0, absent: 0, absentWaitS: 120 }),
  telemetry: Object.freeze({ delayS: 0, jitterS: 0 }),
}) as World

/** Whether the true wind differs from the forecast anywhere. */
export function windDiffers(w: World): boolean {
  return w.wind.forecastError > 0 || w.wind.gustsMps > 0 || w.wind.driftMps > 0
}

/** Whether drones differ from the profile. */
export function dronesDiffer(w: World): boolean {
  return w.drones.speedSpread > 0 || w.drones.batterySpread > 0 || w.drones.batteryAgeing > 0
}

/** Whether handling times vary. */
export function handlingVaries(w: World): boolean {
  return w.handling.spread > 0 || (w.handling.absent > 0 && w.handling.absentWaitS > 0)
}

/** Whether telemetry arrives late. */
export function telemetryLate(w: World): boolean {
  return w.telemetry.delayS > 0 || w.telemetry.jitterS > 0
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
