import type { Eta } from './eta.js'
import type { LatLon } from './geo.js'
import type { DroneState } from './telemetry.js'

/** Where a delivery stands at one tracking message: what a naive estimate is made from. */
export interface NaiveInput {
  ts: number
  position: LatLon & { alt: number }
  droneState: DroneState
  /** Still to be picked up. */
  picking: boolean
  pickup: LatLon
  dropoff: LatLon
  /** Seconds the drone has hovered at its target so far. */
  dwellS: number
}

/** The two baselines a run measures the engine's ETAs against. */
export type Baseline = 'straightLine' | 'stillAirRoute'
export const BASELINES: readonly Baseline[] = ['straightLine', 'stillAirRoute']

/**
 * Naive ETAs from the same tracking messages the engine's are read from
 * (engine/naiveEtas.ts makes them: straight lines, and the routes round the
 * no-fly zones, at cruise speed in still air, with the fixed prior band).
 */
export interface NaiveEtas {
  /** The ETA, with the fixed prior band as its window. */
  eta(b: Baseline, x: NaiveInput): Eta
}
