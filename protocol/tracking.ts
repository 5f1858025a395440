import type { Eta } from './eta.js'
import type { DeliveryEvent, DeliveryStatus } from './events.js'
import type { LatLon } from './geo.js'
import type { DroneState } from './telemetry.js'
import { isTrackingMessage, MAX_MESSAGE_BYTES } from './messageSchemas.js'

export interface Position {
  lat: number
  lon: number
  alt: number
}

/** Engine → gateway on `deliveries/{id}/tracking`, and gateway → WebSocket client. */
export interface TrackingMessage {
  type: 'tracking'
  deliveryId: string
  droneId: string
  /** Event time of the telemetry sample this was computed from. */
  ts: number
  /**
   * Wall-clock ms when the engine received that sample (set by its MQTT
   * adapter): the gateway's pipeline latency counts from it. Never compared
   * with `ts`, which may be simulated time.
   */
  receivedAt?: number
  position: Position
  speed: number
  heading: number
  battery: number
  droneState: DroneState
  status: DeliveryStatus
  eta: Eta | null
}

/** What `GET /v1/deliveries/{id}` returns and a WebSocket `snapshot` carries. */
export interface DeliverySnapshot {
  id: string
  status: DeliveryStatus
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  deadline: number | null
  droneId: string | null
  position: Position | null
  eta: Eta | null
  /**
   * Event time (the engine's clock: the simulator's in a simulation) at which
   * the engine took the request: its `DeliveryCreated`'s `ts`; null until the
   * gateway has seen that. The clock of `deadline`, `eta` and `history[].ts`.
   */
  requestedAt: number | null
  /** Wall-clock ms when this gateway accepted (or first heard of) the delivery: not event time. */
  createdAt: number
  /** Wall-clock ms when this gateway last learned something of it: not event time. */
  updatedAt: number
  history: DeliveryEvent[]
}

/** A point of a drone's trail: where it was reported, and when (event time, ms since the epoch). */
export interface TrailPoint {
  lat: number
  lon: number
  ts: number
}

/** Messages on `ws://…/v1/track/{id}`. */
export type TrackMessage =
  | {
      type: 'snapshot'
      delivery: DeliverySnapshot
      /**
       * Where the drone has flown so far, oldest first, thinned to a few
       * hundred points (the gateway's memory, not the store's: empty after a
       * gateway restart); the last point's `ts` is the event time of the
       * newest tracking message. An addition: older clients ignore it.
       */
      trail: TrailPoint[]
    }
  | TrackingMessage
  | { type: 'status'; deliveryId: string; status: DeliveryStatus; event: DeliveryEvent }

export function decodeTracking(payload: Buffer | string): TrackingMessage | undefined {
  if (payload.length > MAX_MESSAGE_BYTES) return undefined
  try {
    const m: unknown = JSON.parse(payload.toString())
    return isTrackingMessage.Check(m) ? (m as TrackingMessage) : undefined
  } catch {
    return undefined
  }
}
