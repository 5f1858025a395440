import { haversineM, type LatLon } from '../protocol/geo.js'
import { climbSeconds, cruiseEnergyWh, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'

/** Energy and time a drone needs for a delivery, from where it is to the depot after. */
export interface TripPlan {
  distanceM: number
  energyWh: number
  durationS: number
}

/**
 * The three legs of a trip in air metres: ground metres scaled by airspeed
 * over ground speed, so a headwind costs time and energy (see groundSpeed.ts).
 * Without wind they are the ground distances.
 */
export interface TripLegs {
  toPickupM: number
  loadedM: number
  backM: number
  /** Already at the pickup: no climb and descent before loading. */
  atPickup: boolean
}

/**
 * Plans from → pickup → drop-off → depot: three climbs and three descents,
 * handling at pickup and drop-off, cruise legs empty, loaded, empty.
 */
export function planLegs(p: DroneProfile, legs: TripLegs, payloadKg: number): TripPlan {
  const verticals = (legs.atPickup ? 0 : 2) + 4
  const hoverS = verticals * climbSeconds(p) + 2 * p.handlingS
  const distanceM = legs.toPickupM + legs.loadedM + legs.backM
  return {
    distanceM,
    energyWh: cruiseEnergyWh(p, legs.toPickupM + legs.backM, 0) + cruiseEnergyWh(p, legs.loadedM, payloadKg) + hoverEnergyWh(p, hoverS),
    durationS: hoverS + distanceM / p.cruiseSpeedMps,
  }
}

/** planLegs over straight great-circle legs; a first leg shorter than `skipM` costs no climb or descent. */
export function planTrip(
  p: DroneProfile,
  from: LatLon,
  pickup: LatLon,
  dropoff: LatLon,
  depot: LatLon,
  payloadKg: number,
  skipM = 30,
): TripPlan {
  const toPickupM = haversineM(from.lat, from.lon, pickup.lat, pickup.lon)
  return planLegs(
    p,
    {
      toPickupM,
      loadedM: haversineM(pickup.lat, pickup.lon, dropoff.lat, dropoff.lon),
      backM: haversineM(dropoff.lat, dropoff.lon, depot.lat, depot.lon),
      atPickup: toPickupM < skipM,
    },
    payloadKg,
  )
}

/** Whether a battery at `battery` (0..1) covers `energyWh` (a plan) and keeps the profile's reserve. */
export function batteryCovers(p: DroneProfile, battery: number, plan: { energyWh: number }): boolean {
  return battery * p.batteryWh - plan.energyWh >= p.reserve * p.batteryWh
}
