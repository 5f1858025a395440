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
  /**
   * Battery swap time at a depot, s: when > 0 a landed drone gets a full
   * battery after this long instead of charging at chargeW.
   */
  swapS?: number
  /**
   * Airspeed at which whPerKm and whPerKgKm were measured, m/s (default:
   * cruiseSpeedMps). Consumption per air-km grows with the square of airspeed
   * over this speed, as parasitic drag does.
   */
  refSpeedMps?: number
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
  swapS: 0,
  refSpeedMps: 15,
})

/** Consumption per km flown through the air at cruise airspeed, Wh/km: linear in payload, quadratic in airspeed. */
export function airWhPerKm(p: DroneProfile, payloadKg: number): number {
  const k = p.cruiseSpeedMps / (p.refSpeedMps ?? p.cruiseSpeedMps)
  return (p.whPerKm + p.whPerKgKm * payloadKg) * k * k
}

/** Power drawn in cruise, W (Wh/km × km/h). */
export function cruisePowerW(p: DroneProfile, payloadKg: number): number {
  return airWhPerKm(p, payloadKg) * p.cruiseSpeedMps * 3.6
}

/**
 * Energy in Wh to cruise `distanceM` over the ground carrying `payloadKg`.
 * The drone burns power for the time it flies, so a headwind (ground speed
 * below airspeed) costs more per ground metre; in still air ground speed is
 * the cruise airspeed.
 */
export function cruiseEnergyWh(p: DroneProfile, distanceM: number, payloadKg: number, groundSpeedMps = p.cruiseSpeedMps): number {
  return (distanceM / 1000) * airWhPerKm(p, payloadKg) * (p.cruiseSpeedMps / groundSpeedMps)
}

/** Energy in Wh for `seconds` of hover, climb or descent. */
export function hoverEnergyWh(p: DroneProfile, seconds: number): number {
  return (p.hoverW * seconds) / 3600
}

/** Seconds to climb from the ground to cruise altitude (or to descend). */
export function climbSeconds(p: DroneProfile): number {
  return p.cruiseAltitudeM / p.climbRateMps
}
