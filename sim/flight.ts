import { bearing } from '@turf/bearing'
import { destination } from '@turf/destination'
import { haversineM, wrapLon, type LatLon } from '../protocol/geo.js'
import { cruisePowerW, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'
import type { DroneState } from '../protocol/telemetry.js'
import { airspeedOf, capacityOf } from './droneTraits.js'
import type { DroneWorld } from './DroneWorld.js'
import { type FleetState, MAX_WAYPOINTS, Phase, WaypointKind } from './FleetState.js'
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
 * first to account the mission that ends here. `loaded`: the package
 * (cargoKg) is already aboard, so the mission has no pickup. A mission of
 * more than MAX_WAYPOINTS is not taken (refusalReason says why first).
 */
export function assignMission(
  f: FleetState,
  i: number,
  wps: readonly Waypoint[],
  cargoKg: number,
  p: DroneProfile,
  loaded = false,
  world?: DroneWorld,
): void {
  if (f.phase[i] === Phase.Failed || wps.length > MAX_WAYPOINTS) return
  const count = wps.length
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
  if (loaded) f.payload[i] = cargoKg
  else if (f.phase[i] === Phase.Handling && f.payload[i]! > 0) f.payload[i] = 0 // an aborted load stays behind
  if (f.phase[i] === Phase.Ground) f.timer[i] = 0 // a swap in progress is abandoned
  const first = wps[0]
  const onGround = f.alt[i]! <= 0
  if (first && first.kind !== WaypointKind.Via && onGround && haversineM(f.lat[i]!, f.lon[i]!, first.lat, first.lon) <= ARRIVAL_M)
    arrive(f, i, p, world)
  else if (f.phase[i] !== Phase.Cruise) f.phase[i] = Phase.Takeoff
}

/** Telemetry state of drone i, as DESIGN.md names it. */
export function droneState(f: FleetState, i: number): DroneState {
  switch (f.phase[i]) {
    case Phase.Ground:
      return f.battery[i]! < READY_BATTERY || f.timer[i]! > 0 ? 'charging' : 'idle'
    case Phase.Takeoff:
      return 'takeoff'
    case Phase.Cruise:
      return targetKind(f, i) === WaypointKind.Depot ? 'returning' : 'cruise'
    case Phase.Landing:
      return 'landing'
    case Phase.Handling:
      return 'hover'
    default:
      return 'failed'
  }
}

/** What drone i is flying to: the kind of its current waypoint, looking past turning points. */
function targetKind(f: FleetState, i: number): number {
  const base = i * MAX_WAYPOINTS
  const count = f.wpCount[i]!
  let k = f.wpIndex[i]!
  while (k + 1 < count && f.wpKind[base + k] === WaypointKind.Via) k++
  return f.wpKind[base + k]!
}

/** On the ground at the current waypoint: handle a package (as long as the world says), or end the mission at a depot. */
function arrive(f: FleetState, i: number, p: DroneProfile, world: DroneWorld | undefined): void {
  const kind = f.wpKind[i * MAX_WAYPOINTS + f.wpIndex[i]!]
  f.speed[i] = 0
  if (kind === WaypointKind.Pickup || kind === WaypointKind.Dropoff) {
    const n = f.arrivals[i]!
    f.arrivals[i] = n + 1
    f.phase[i] = Phase.Handling
    f.timer[i] = world ? world.handlingS(i, n, kind === WaypointKind.Dropoff) : p.handlingS
  } else {
    f.phase[i] = Phase.Ground
    f.wpCount[i] = 0
    f.wpIndex[i] = 0
    // With battery swaps the drone waits the swap time for a full battery.
    f.timer[i] = (p.swapS ?? 0) > 0 && f.battery[i]! < 1 ? (p.swapS as number) : 0
  }
}

/** Draws `wh` (more with a faulty battery) from a battery of `capacityWh`; a drone that runs dry falls out of the sky. */
function drain(f: FleetState, i: number, wh: number, capacityWh: number): void {
  const used = wh * (1 + f.drainExtra[i]!)
  f.usedWh[i] = f.usedWh[i]! + used
  f.missionWh[i] = f.missionWh[i]! + used
  const b = f.battery[i]! - used / capacityWh
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

/**
 * Advances drone i by dt seconds in the given wind, or in the world's (its
 * wind where the drone is, its handling times; the drone's own airspeed
 * and battery are in the fleet's arrays). Pure over the arrays and the
 * world: no clock, no randomness of its own.
 */
export function stepDrone(f: FleetState, i: number, dt: number, p: DroneProfile, wind: Wind = CALM, world?: DroneWorld): void {
  const w = i * MAX_WAYPOINTS + f.wpIndex[i]!
  const phase = f.phase[i]
  const capacityWh = capacityOf(f, i, p, world?.ageing ?? 0)
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
      f.battery[i] = Math.min(1, f.battery[i]! + (p.chargeW * dt) / 3600 / capacityWh)
      return
    }
    case Phase.Takeoff: {
      f.alt[i] = Math.min(p.cruiseAltitudeM, f.alt[i]! + p.climbRateMps * dt)
      f.speed[i] = 0
      if (f.alt[i] === p.cruiseAltitudeM) f.phase[i] = Phase.Cruise
      drain(f, i, hoverEnergyWh(p, dt), capacityWh)
      return
    }
    case Phase.Cruise: {
      const air = airspeedOf(f, i, p)
      // Consumption per air-km grows with the square of airspeed (profile.ts), so power with its cube.
      const k = air / p.cruiseSpeedMps
      const power = cruisePowerW(p, f.payload[i]!) * k * k * k
      // Seconds of this step left to fly: a turning point reached mid-step is flown through.
      let rem = dt
      for (;;) {
        const w = i * MAX_WAYPOINTS + f.wpIndex[i]!
        const tLat = f.wpLat[w]!
        const tLon = f.wpLon[w]!
        const left = haversineM(f.lat[i]!, f.lon[i]!, tLat, tLon)
        const from: [number, number] = [f.lon[i]!, f.lat[i]!]
        const course = (bearing(from, [tLon, tLat]) + 360) % 360
        const leg = windTriangle(air, world ? world.windAt(f.lat[i]!, f.lon[i]!) : wind, course)
        if (leg === undefined) {
          // No headway against this wind: it holds station, burning power.
          f.speed[i] = 0
          drain(f, i, (power * rem) / 3600, capacityWh)
          return
        }
        const g = leg.groundSpeedMps
        const step = g * rem
        f.speed[i] = g
        if (left > step) {
          const [lon, lat] = destination(from, step / 1000, course, { units: 'kilometers' }).geometry.coordinates as [number, number]
          f.lat[i] = lat
          // turf's destination does not wrap: a step east across 180° would give 180.0001°.
          f.lon[i] = wrapLon(lon)
          // Where the nose points: into a crosswind it crabs off the course.
          f.heading[i] = leg.crosswindMps === 0 ? course : leg.headingDeg
          moved(f, i, step)
          drain(f, i, (power * rem) / 3600, capacityWh)
          return
        }
        f.lat[i] = tLat
        f.lon[i] = tLon
        moved(f, i, left)
        // Power is drawn for the time flown; the last step of a leg is short.
        drain(f, i, (power * (left / g)) / 3600, capacityWh)
        if (f.phase[i] !== Phase.Cruise) return
        if (f.wpKind[w] === WaypointKind.Via && f.wpIndex[i]! + 1 < f.wpCount[i]!) {
          f.wpIndex[i] = f.wpIndex[i]! + 1
          if (left > 0) f.heading[i] = leg.crosswindMps === 0 ? course : leg.headingDeg
          rem -= left / g
          if (rem > 1e-9) continue
          return
        }
        f.phase[i] = Phase.Landing
        return
      }
    }
    case Phase.Landing: {
      f.speed[i] = 0
      f.alt[i] = Math.max(0, f.alt[i]! - p.climbRateMps * dt)
      drain(f, i, hoverEnergyWh(p, dt), capacityWh)
      if (f.alt[i] === 0 && f.phase[i] === Phase.Landing) arrive(f, i, p, world)
      return
    }
    case Phase.Handling: {
      // Loading and releasing are done hovering, so they draw hover power.
      drain(f, i, hoverEnergyWh(p, Math.min(dt, Math.max(0, f.timer[i]!))), capacityWh)
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
