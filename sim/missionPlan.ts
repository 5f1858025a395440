import { bearing } from '@turf/bearing'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { cruiseEnergyWh, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'
import { ARRIVAL_M, type Waypoint } from './flight.js'
import { type FleetState, MAX_WAYPOINTS, WaypointKind } from './FleetState.js'
import { windTriangle, type Wind } from './wind.js'

export interface MissionStart extends LatLon {
  /** Metres above ground now. */
  alt: number
  /** kg on board now. */
  payloadKg: number
}

export type MissionPlan = { ok: true; energyWh: number; durationS: number; distanceM: number } | { ok: false; reason: string }

const KIND_NAMES = ['', 'pickup', 'drop-off', 'depot', 'turning point'] as const

/**
 * What flying `wps` from `start` costs in this wind, leg by leg as the drone
 * flies it: climb, cruise at the wind triangle's ground speed, descent, and
 * handling at pickups and drop-offs; turning points (Via) are flown through
 * at cruise altitude, with no descent. A leg whose crosswind or headwind the
 * airspeed cannot beat makes the mission unflyable.
 */
export function planMission(p: DroneProfile, wind: Wind, start: MissionStart, wps: readonly Waypoint[], cargoKg: number): MissionPlan {
  let { lat, lon, alt, payloadKg } = start
  let energyWh = 0
  let durationS = 0
  let distanceM = 0
  for (const [k, wp] of wps.entries()) {
    const d = haversineM(lat, lon, wp.lat, wp.lon)
    if (wp.kind === WaypointKind.Via) {
      const course = (bearing([lon, lat], [wp.lon, wp.lat]) + 360) % 360
      const leg = windTriangle(p.cruiseSpeedMps, wind, course)
      if (leg === undefined) {
        return {
          ok: false,
          reason: `leg ${k + 1} (to a turning point, course ${course.toFixed(0)}°) cannot be flown: ${crossOrHead(p, wind, course)}`,
        }
      }
      const climbS = Math.max(0, p.cruiseAltitudeM - alt) / p.climbRateMps
      energyWh += hoverEnergyWh(p, climbS) + cruiseEnergyWh(p, d, payloadKg, leg.groundSpeedMps)
      durationS += climbS + d / leg.groundSpeedMps
      distanceM += d
      ;[lat, lon, alt] = [wp.lat, wp.lon, p.cruiseAltitudeM]
      continue
    }
    if (d > ARRIVAL_M || alt > 0) {
      const course = (bearing([lon, lat], [wp.lon, wp.lat]) + 360) % 360
      const leg = windTriangle(p.cruiseSpeedMps, wind, course)
      if (leg === undefined) {
        return {
          ok: false,
          reason: `leg ${k + 1} (to the ${KIND_NAMES[wp.kind]}, course ${course.toFixed(0)}°) cannot be flown: ${crossOrHead(p, wind, course)}`,
        }
      }
      const verticalS = Math.max(0, p.cruiseAltitudeM - alt) / p.climbRateMps + p.cruiseAltitudeM / p.climbRateMps
      energyWh += hoverEnergyWh(p, verticalS) + cruiseEnergyWh(p, d, payloadKg, leg.groundSpeedMps)
      durationS += verticalS + d / leg.groundSpeedMps
      distanceM += d
      ;[lat, lon, alt] = [wp.lat, wp.lon, 0]
    }
    if (wp.kind === WaypointKind.Pickup || wp.kind === WaypointKind.Dropoff) {
      energyWh += hoverEnergyWh(p, p.handlingS)
      durationS += p.handlingS
      payloadKg = wp.kind === WaypointKind.Pickup ? cargoKg : 0
    }
  }
  return { ok: true, energyWh, durationS, distanceM }
}

function crossOrHead(p: DroneProfile, wind: Wind, course: number): string {
  const rel = ((wind.fromDeg + 180 - course) * Math.PI) / 180
  const cross = Math.abs(wind.speedMps * Math.sin(rel))
  return cross >= p.cruiseSpeedMps
    ? `crosswind ${cross.toFixed(1)} m/s is not below the airspeed ${p.cruiseSpeedMps} m/s`
    : `headwind leaves no ground speed at airspeed ${p.cruiseSpeedMps} m/s`
}

/**
 * Why drone i must refuse this mission, or undefined when it can fly it and
 * land with its reserve. The drone judges by the nominal energy model: a
 * faulty battery does not know it is faulty. `loaded`: the package (cargoKg)
 * is aboard from the start.
 */
export function refusalReason(
  f: FleetState,
  i: number,
  p: DroneProfile,
  wind: Wind,
  wps: readonly Waypoint[],
  cargoKg: number,
  loaded = false,
): string | undefined {
  if (wps.length > MAX_WAYPOINTS) return `the route has ${wps.length} waypoints, more than the ${MAX_WAYPOINTS} a drone can hold`
  const plan = planMission(
    p,
    wind,
    { lat: f.lat[i]!, lon: f.lon[i]!, alt: f.alt[i]!, payloadKg: loaded ? cargoKg : f.payload[i]! },
    wps,
    cargoKg,
  )
  if (!plan.ok) return plan.reason
  const haveWh = f.battery[i]! * p.batteryWh
  const reserveWh = p.reserve * p.batteryWh
  if (haveWh - plan.energyWh >= reserveWh) return undefined
  return `needs ${plan.energyWh.toFixed(1)} Wh but has ${(haveWh - reserveWh).toFixed(1)} Wh above its ${Math.round(p.reserve * 100)}% reserve`
}
