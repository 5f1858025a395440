import type { DroneProfile } from '../protocol/profile.js'
import type { FleetState } from './FleetState.js'
import { createRng } from './random.js'
import type { World } from './scenario/Scenario.js'

/**
 * Gives each drone its own airspeed and battery within the scenario's
 * spreads, drawn from the `traits` stream per drone. Left at 0 (the
 * profile's figures) when the drones do not differ.
 */
export function assignDroneTraits(f: FleetState, p: DroneProfile, d: World['drones'], seed: number): void {
  if (d.speedSpread === 0 && d.batterySpread === 0) return
  for (let i = 0; i < f.n; i++) {
    const rng = createRng(seed, 'traits', i)
    f.airspeed[i] = p.cruiseSpeedMps * (1 + d.speedSpread * (2 * rng() - 1))
    f.healthWh[i] = p.batteryWh * (1 - d.batterySpread * rng())
  }
}

/** Drone i's airspeed in cruise, m/s. */
export function airspeedOf(f: FleetState, i: number, p: DroneProfile): number {
  return f.airspeed[i] || p.cruiseSpeedMps
}

/** What drone i's battery holds now, Wh: its health, less what ageing took for the energy it has drawn. */
export function capacityOf(f: FleetState, i: number, p: DroneProfile, ageing: number): number {
  const full = f.healthWh[i] || p.batteryWh
  return ageing > 0 ? Math.max(0.05 * p.batteryWh, full - ageing * f.usedWh[i]!) : full
}

/**
 * Drone i's own profile, as its flight controller plans with it: its
 * airspeed (consumption measured at the profile's speed, so it costs more
 * per km the faster it flies) and its battery.
 */
export function droneProfileOf(f: FleetState, i: number, p: DroneProfile, ageing: number): DroneProfile {
  const air = airspeedOf(f, i, p)
  const wh = capacityOf(f, i, p, ageing)
  if (air === p.cruiseSpeedMps && wh === p.batteryWh) return p
  return { ...p, cruiseSpeedMps: air, refSpeedMps: p.refSpeedMps ?? p.cruiseSpeedMps, batteryWh: wh }
}
