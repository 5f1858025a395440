import type { LatLon } from './geo.js'

/** Engine → drone, on `commands/{droneId}` with QoS 1. */
export type DroneCommand =
  | {
      type: 'AssignDelivery'
      commandId: string
      droneId: string
      deliveryId: string
      pickup: LatLon
      dropoff: LatLon
      /** Where to go after the drop-off. */
      depot: LatLon
      payloadKg: number
      issuedAt: number
      /**
       * True when the package is already aboard (a re-plan after pickup):
       * `pickup` is then where the drone was, and there is nothing to load.
       */
      loaded?: boolean
      /**
       * Turning points before each target, around no-fly zones; a missing
       * or empty list means straight there.
       */
      via?: { pickup: LatLon[]; dropoff: LatLon[]; depot: LatLon[] }
    }
  | {
      /** Abandon whatever the drone is doing and fly to the depot. */
      type: 'ReturnToDepot'
      commandId: string
      droneId: string
      depot: LatLon
      issuedAt: number
    }

export type DroneCommandType = DroneCommand['type']

/** Parses a command payload; undefined when it is not one we know. */
export function decodeCommand(payload: Buffer | string): DroneCommand | undefined {
  try {
    const c = JSON.parse(payload.toString()) as DroneCommand
    return c && (c.type === 'AssignDelivery' || c.type === 'ReturnToDepot') ? c : undefined
  } catch {
    return undefined
  }
}
