import type { DroneCommand } from '../protocol/commands.js'
import type { LatLon } from '../protocol/geo.js'
import type { Waypoint } from './flight.js'
import { WaypointKind } from './FleetState.js'

type AssignDelivery = Extract<DroneCommand, { type: 'AssignDelivery' }>

const at = (p: LatLon, kind: Waypoint['kind']): Waypoint => ({ lat: p.lat, lon: p.lon, kind })

/**
 * The waypoints a drone flies for an AssignDelivery: each target preceded by
 * its turning points (`via`, the engine's way round no-fly zones, flown
 * through at cruise altitude): [via.pickup…, pickup, via.dropoff…, drop-off,
 * via.depot…, depot]. With `loaded` the package is already aboard: there is
 * no pickup to fly to (the command's `pickup` is only where the drone was),
 * so the mission starts with the way to the drop-off.
 */
export function assignmentWaypoints(cmd: AssignDelivery): Waypoint[] {
  const turns = (pts: readonly LatLon[] | undefined): Waypoint[] => (pts ?? []).map((p) => at(p, WaypointKind.Via))
  const wps: Waypoint[] = []
  if (cmd.loaded !== true) wps.push(...turns(cmd.via?.pickup), at(cmd.pickup, WaypointKind.Pickup))
  wps.push(...turns(cmd.via?.dropoff), at(cmd.dropoff, WaypointKind.Dropoff))
  wps.push(...turns(cmd.via?.depot), at(cmd.depot, WaypointKind.Depot))
  return wps
}

/** A mission's route as results and maps show it: where the drone started, then every waypoint in order. */
export function assignmentRoute(start: LatLon, wps: readonly Waypoint[]): LatLon[] {
  return [{ lat: start.lat, lon: start.lon }, ...wps.map((w) => ({ lat: w.lat, lon: w.lon }))]
}
