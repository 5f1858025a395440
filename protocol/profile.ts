/**
 * A drone type's performance, in SI units. The simulator flies with it and the
 * engine plans with it, so both share this one definition.
 */
export interface DroneProfile {
  /** Airspeed in cruise, m/s. */
  cruiseSpeedMps: number
  /** Cruise altitude above ground, m. */
  cruiseAltitudeM: number
  /** Climb and descent rate, m/s. */
  climbRateMps: number
  /** Usable battery energy, Wh. */
  batteryWh: number
  /** Fraction of the battery that must remain at the end of any plan, 0..1. */
  reserve: number
  /** Cruise consumption of the empty drone, Wh per km. */
  whPerKm: number
  /** Extra cruise consumption per kg of payload, Wh per kg·km. */
  whPerKgKm: number
  /** Power drawn while hovering, climbing or descending, W. */
  hoverW: number
  /** Heaviest package it can carry, kg. */
  maxPayloadKg: number
  /** Time spent hovering at a pickup or drop-off to load or release, s. */
  handlingS: number
  /** Charging power at a depot, W. */
  chargeW: number
}

/** A small delivery quadcopter: about 22 Wh/km with a 0.5 kg package. */
export const DEFAULT_PROFILE: Readonly<DroneProfile> = Object.freeze({
  cruiseSpeedMps: 15,
  cruiseAltitudeM: 60,
  climbRateMps: 4,
  batteryWh: 500,
  reserve: 0.2,
  whPerKm: 17,
  whPerKgKm: 10,
  hoverW: 900,
  maxPayloadKg: 2.5,
  handlingS: 30,
  chargeW: 1500,
})

/** Energy in Wh to cruise `distanceM` carrying `payloadKg`. */
export function cruiseEnergyWh(p: DroneProfile, distanceM: number, payloadKg: number): number {
  return (distanceM / 1000) * (p.whPerKm + p.whPerKgKm * payloadKg)
}

/** Energy in Wh for `seconds` of hover, climb or descent. */
export function hoverEnergyWh(p: DroneProfile, seconds: number): number {
  return (p.hoverW * seconds) / 3600
}

/** Seconds to climb from the ground to cruise altitude (or to descend). */
export function climbSeconds(p: DroneProfile): number {
  return p.cruiseAltitudeM / p.climbRateMps
}
