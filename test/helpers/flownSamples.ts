import { bearing } from '@turf/bearing'
import type { LatLon } from '../../protocol/geo.js'
import { DEFAULT_PROFILE, type DroneProfile } from '../../protocol/profile.js'
import type { DroneState } from '../../protocol/telemetry.js'
import type { DroneWorld } from '../../sim/DroneWorld.js'
import { assignMission, droneState, stepDrone, type Waypoint } from '../../sim/flight.js'
import { FleetState, MAX_WAYPOINTS, Phase, WaypointKind } from '../../sim/FleetState.js'
import { toWind } from '../../sim/TrueWind.js'
import { offset } from './offset.js'

/** One telemetry sample of a flown fixture, with the course to the waypoint the drone was flying to (what an engine's plan knows). */
export interface FlownSample extends LatLon {
  id: string
  ts: number
  alt: number
  speed: number
  heading: number
  battery: number
  state: DroneState
  /** Degrees toward the waypoint flown to, or null when not cruising. */
  courseDeg: number | null
  /** kg aboard. */
  payloadKg: number
}

export interface FixtureDrone {
  /** Airspeed over the profile's. */
  speedFactor: number
  /** Share of the profile's battery it holds. */
  health: number
}

/**
 * A fixture of telemetry flown by the simulator's own physics (sim/flight.ts)
 * in a known world: drones on missions out and back from `base` in several
 * directions, in the wind `windAt` (m/s toward east and north, by place and
 * time), each with its own airspeed and battery. What a learner should get
 * back from it is exactly what went in.
 */
export function flownSamples(
  base: LatLon,
  drones: readonly FixtureDrone[],
  windAt: (p: LatLon, t: number) => { eastMps: number; northMps: number },
  o: { t0: number; seconds: number; legM?: number; p?: DroneProfile },
): FlownSample[] {
  const p = o.p ?? DEFAULT_PROFILE
  const f = new FleetState(drones.length)
  const legM = o.legM ?? 2500
  drones.forEach((d, i) => {
    f.lat[i] = base.lat
    f.lon[i] = base.lon
    f.battery[i] = 1
    f.phase[i] = Phase.Ground
    f.airspeed[i] = p.cruiseSpeedMps * d.speedFactor
    f.healthWh[i] = p.batteryWh * d.health
  })
  const out: FlownSample[] = []
  const missions = new Array<number>(drones.length).fill(0)
  for (let s = 1; s <= o.seconds; s++) {
    const t = o.t0 + s * 1000
    const world: DroneWorld = {
      windAt: (lat, lon) => toWind(windAt({ lat, lon }, t - 500)),
      handlingS: () => p.handlingS,
      ageing: 0,
    }
    for (let i = 0; i < drones.length; i++) {
      if (f.phase[i] === Phase.Ground && f.battery[i]! > 0.3) {
        // Each drone's missions turn through the compass: its airspeed and the wind must be told apart.
        const dir = ((i * 67 + missions[i]! * 131) % 360) * (Math.PI / 180)
        const out1 = offset(base, legM * Math.cos(dir), legM * Math.sin(dir))
        const wps: Waypoint[] = [
          { ...out1, kind: WaypointKind.Pickup },
          { ...base, kind: WaypointKind.Depot },
        ]
        assignMission(f, i, wps, 1, p, false, world)
        missions[i]!++
      }
      stepDrone(f, i, 1, p, undefined, world)
      const k = i * MAX_WAYPOINTS + f.wpIndex[i]!
      const state = droneState(f, i)
      const cruising = state === 'cruise' || state === 'returning'
      out.push({
        id: `d-${i + 1}`,
        ts: t,
        lat: f.lat[i]!,
        lon: f.lon[i]!,
        alt: f.alt[i]!,
        speed: f.speed[i]!,
        heading: f.heading[i]!,
        battery: Math.fround(f.battery[i]!),
        state,
        courseDeg: cruising ? (bearing([f.lon[i]!, f.lat[i]!], [f.wpLon[k]!, f.wpLat[k]!]) + 360) % 360 : null,
        payloadKg: f.payload[i]!,
      })
    }
  }
  return out
}
