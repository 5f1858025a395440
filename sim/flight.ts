import { bearing } from '@turf/bearing'
import { destination } from '@turf/destination'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { cruisePowerW, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'
import type { DroneState } from '../protocol/telemetry.js'
import { FleetState, MAX_WAYPOINTS, Phase, WaypointKind } from './FleetState.js'
import { CALM, windTriangle, type Wind } from './wind.js'

/** A drone on the ground reports `charging` below this state of charge, `idle` (dispatchable) above. */
export const READY_BATTERY = 0.5

/** How close counts as at a waypoint, m. */
export const ARRIVAL_M = 5

export interface Waypoint extends LatLon {
  kind: (typeof WaypointKind)[keyof typeof WaypointKind]
}

/**
 * Gives drone i a new mission; it starts from whatever it is doing. The
 * mission's distance and energy counters restart, so the caller reads them
 * first to account the mission that ends here.
 */
export function assignMission(f: FleetState, i: number, wps: readonly Waypoint[], cargoKg: number, p: DroneProfile): void {
  if (f.phase[i] === Phase.Failed) return
  const count = Math.min(wps.length, MAX_WAYPOINTS)
  for (let k = 0; k < count; k++) {
    const w = wps[k] as Waypoint
    f.wpLat[i * MAX_WAYPOINTS + k] = w.lat
    f.wpLon[i * MAX_WAYPOINTS + k] = w.lon
    f.wpKind[i * MAX_WAYPOINTS + k] = w.kind
  }
  f.wpCount[i] = count
  f.wpIndex[i] = 0
  f.cargo[i] = cargoKg
  f.missionM[i] = 0
  f.missionWh[i] = 0
  if (f.phase[i] === Phase.Handling && f.payload[i]! > 0) f.payload[i] = 0 // an aborted load stays behind
  if (f.phase[i] === Phase.Ground) f.timer[i] = 0 // a swap in progress is abandoned
  const first = wps[0]
  const onGround = f.alt[i]! <= 0
  if (first && onGround && haversineM(f.lat[i]!, f.lon[i]!, first.lat, first.lon) <= ARRIVAL_M) arrive(f, i, p)
  else if (f.phase[i] !== Phase.Cruise) f.phase[i] = Phase.Takeoff
}

/** Telemetry state of drone i, as DESIGN.md names it. */
export function droneState(f: FleetState, i: number): DroneState {
  switch (f.phase[i]) {
    case Phase.Ground: return f.battery[i]! < READY_BATTERY || f.timer[i]! > 0 ? 'charging' : 'idle'
    case Phase.Takeoff: return 'takeoff'
    case Phase.Cruise: return f.wpKind[i * MAX_WAYPOINTS + f.wpIndex[i]!] === WaypointKind.Depot ? 'returning' : 'cruise'
    case Phase.Landing: return 'landing'
    case Phase.Handling: return 'hover'
    default: return 'failed'
  }
}

/** On the ground at the current waypoint: handle a package, or end the mission at a depot. */
function arrive(f: FleetState, i: number, p: DroneProfile): void {
  const kind = f.wpKind[i * MAX_WAYPOINTS + f.wpIndex[i]!]
  f.speed[i] = 0
  if (kind === WaypointKind.Pickup || kind === WaypointKind.Dropoff) {
    f.phase[i] = Phase.Handling
    f.timer[i] = p.handlingS
  } else {
    f.phase[i] = Phase.Ground
    f.wpCount[i] = 0
    f.wpIndex[i] = 0
    // With battery swaps the drone waits the swap time for a full battery.
    f.timer[i] = (p.swapS ?? 0) > 0 && f.battery[i]! < 1 ? (p.swapS as number) : 0
  }
}

/** Draws `wh` (more with a faulty battery); a drone that runs dry falls out of the sky. */
function drain(f: FleetState, i: number, wh: number, p: DroneProfile): void {
  const used = wh * (1 + f.drainExtra[i]!)
  f.usedWh[i] = f.usedWh[i]! + used
  f.missionWh[i] = f.missionWh[i]! + used
  const b = f.battery[i]! - used / p.batteryWh
  if (b > 0) {
    f.battery[i] = b
    return
  }
  f.battery[i] = 0
  f.phase[i] = Phase.Failed
  f.speed[i] = 0
}

function moved(f: FleetState, i: number, m: number): void {
  f.odoM[i] = f.odoM[i]! + m
  f.missionM[i] = f.missionM[i]! + m
}

/** Advances drone i by dt seconds in the given wind. Pure over the arrays: no clock, no randomness. */
export function stepDrone(f: FleetState, i: number, dt: number, p: DroneProfile, wind: Wind = CALM): void {
  const w = i * MAX_WAYPOINTS + f.wpIndex[i]!
  const phase = f.phase[i]
  if (phase !== Phase.Ground && phase !== Phase.Failed) f.busyS[i] = f.busyS[i]! + dt
  switch (phase) {
    case Phase.Ground: {
      if ((p.swapS ?? 0) > 0) {
        if (f.timer[i]! > 0) {
          f.timer[i] = f.timer[i]! - dt
          if (f.timer[i]! <= 0) [f.timer[i], f.battery[i]] = [0, 1]
        }
        return
      }
      f.battery[i] = Math.min(1, f.battery[i]! + (p.chargeW * dt) / 3600 / p.batteryWh)
      return
    }
    case Phase.Takeoff: {
      f.alt[i] = Math.min(p.cruiseAltitudeM, f.alt[i]! + p.climbRateMps * dt)
      f.speed[i] = 0
      if (f.alt[i] === p.cruiseAltitudeM) f.phase[i] = Phase.Cruise
      drain(f, i, hoverEnergyWh(p, dt), p)
      return
    }
    case Phase.Cruise: {
      const tLat = f.wpLat[w]!
      const tLon = f.wpLon[w]!
      const left = haversineM(f.lat[i]!, f.lon[i]!, tLat, tLon)
      const from: [number, number] = [f.lon[i]!, f.lat[i]!]
      const course = (bearing(from, [tLon, tLat]) + 360) % 360
      const leg = windTriangle(p.cruiseSpeedMps, wind, course)
      const power = cruisePowerW(p, f.payload[i]!)
      if (leg === undefined) {
        // No headway against this wind: it holds station, burning power.
        f.speed[i] = 0
        drain(f, i, (power * dt) / 3600, p)
        return
      }
      const g = leg.groundSpeedMps
      const step = g * dt
      if (left <= step) {
        f.lat[i] = tLat
        f.lon[i] = tLon
        f.phase[i] = Phase.Landing
      } else {
        const [lon, lat] = destination(from, step / 1000, course, { units: 'kilometers' }).geometry.coordinates as [number, number]
        f.lat[i] = lat
        f.lon[i] = lon
        f.heading[i] = course
      }
      f.speed[i] = g
      moved(f, i, Math.min(left, step))
      // Power is drawn for the time flown; the last step of a leg is short.
      drain(f, i, (power * Math.min(dt, left / g)) / 3600, p)
      return
    }
    case Phase.Landing: {
      f.speed[i] = 0
      f.alt[i] = Math.max(0, f.alt[i]! - p.climbRateMps * dt)
      drain(f, i, hoverEnergyWh(p, dt), p)
      if (f.alt[i] === 0 && f.phase[i] === Phase.Landing) arrive(f, i, p)
      return
    }
    case Phase.Handling: {
      // Loading and releasing are done hovering, so they draw hover power.
      drain(f, i, hoverEnergyWh(p, Math.min(dt, Math.max(0, f.timer[i]!))), p)
      if (f.phase[i] !== Phase.Handling) return
      f.timer[i] = f.timer[i]! - dt
      if (f.timer[i]! > 0) return
      f.payload[i] = f.wpKind[w] === WaypointKind.Pickup ? f.cargo[i]! : 0
      f.wpIndex[i] = f.wpIndex[i]! + 1
      if (f.wpIndex[i]! >= f.wpCount[i]!) {
        f.phase[i] = Phase.Ground
        f.wpCount[i] = 0
        f.wpIndex[i] = 0
        f.timer[i] = 0
      } else f.phase[i] = Phase.Takeoff
      return
    }
    default:
      return
  }
}
