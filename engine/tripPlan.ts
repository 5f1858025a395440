import { haversineM, type LatLon } from '../protocol/geo.js'
import { climbSeconds, cruiseEnergyWh, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'

/** Energy and time a drone needs for a delivery, from where it is to the depot after. */
export interface TripPlan {
  distanceM: number
  energyWh: number
  durationS: number
}

/**
 * Plans from → pickup → drop-off → depot: three climbs and three descents,
 * handling at pickup and drop-off, cruise legs empty, loaded, empty. A leg
 * shorter than `skipM` (already at the pickup) costs no climb or descent.
 */
export function planTrip(p: DroneProfile, from: LatLon, pickup: LatLon, dropoff: LatLon, depot: LatLon, payloadKg: number, skipM = 30): TripPlan {
  const toPickup = haversineM(from.lat, from.lon, pickup.lat, pickup.lon)
  const loaded = haversineM(pickup.lat, pickup.lon, dropoff.lat, dropoff.lon)
  const back = haversineM(dropoff.lat, dropoff.lon, depot.lat, depot.lon)
  const verticals = (toPickup < skipM ? 0 : 2) + 4
  const hoverS = verticals * climbSeconds(p) + 2 * p.handlingS
  const cruiseS = (toPickup + loaded + back) / p.cruiseSpeedMps
  return {
    distanceM: toPickup + loaded + back,
    energyWh: cruiseEnergyWh(p, toPickup + back, 0) + cruiseEnergyWh(p, loaded, payloadKg) + hoverEnergyWh(p, hoverS),
    durationS: hoverS + cruiseS,
  }
}

/** Whether a battery at `battery` (0..1) covers `plan` and keeps the profile's reserve. */
export function batteryCovers(p: DroneProfile, battery: number, plan: TripPlan): boolean {
  return battery * p.batteryWh - plan.energyWh >= p.reserve * p.batteryWh
}
