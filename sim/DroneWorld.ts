import { handlingTimeS } from './handlingTime.js'
import type { World } from './scenario/Scenario.js'
import { TrueWind, type TrueWindSpec } from './TrueWind.js'
import type { Wind } from './wind.js'

/**
 * What the simulated world adds to the drone profile while the fleet is
 * stepped (sim/flight.ts): the wind where a drone is, the handling time of
 * each arrival, the battery's ageing. Without one, the world is the model.
 */
export interface DroneWorld {
  /** The wind at a place during this step. */
  windAt(lat: number, lon: number): Wind
  /** How long drone i hovers at its n-th pickup or drop-off, s. */
  handlingS(i: number, n: number, dropoff: boolean): number
  /** Battery capacity lost per full battery drawn (world.drones.batteryAgeing). */
  ageing: number
}

/** The parts of a scenario a step worker needs to rebuild the world; plain data. */
export interface DroneWorldSpec {
  seed: number
  world: World
  /** The profile's handling time, s. */
  handlingS: number
  /** The true wind, or null when it is the forecast. */
  wind: TrueWindSpec | null
  /** The forecast. */
  forecast: Wind
}

const fields = new WeakMap<TrueWindSpec, TrueWind>()
let lastKey = ''
let lastField: TrueWind | null = null

/** The true wind of a spec, built once per spec (a worker receives a copy of the same spec every tick). */
function trueWindOf(spec: TrueWindSpec): TrueWind {
  const cached = fields.get(spec)
  if (cached) return cached
  const key = JSON.stringify(spec)
  if (key !== lastKey || !lastField) [lastKey, lastField] = [key, new TrueWind(spec)]
  fields.set(spec, lastField)
  return lastField
}

/** The world at event time t (ms, the middle of the step being flown). */
export function droneWorldAt(spec: DroneWorldSpec, t: number): DroneWorld {
  const field = spec.wind ? trueWindOf(spec.wind) : null
  const forecast = spec.forecast
  return {
    windAt: field ? (lat, lon) => field.windAt(lat, lon, t) : () => forecast,
    handlingS: (i, n, dropoff) => handlingTimeS(spec.seed, i, n, dropoff, spec.handlingS, spec.world.handling),
    ageing: spec.world.drones.batteryAgeing,
  }
}
