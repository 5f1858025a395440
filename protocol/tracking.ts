import type { Eta } from './eta.js'
import type { DeliveryEvent, DeliveryStatus } from './events.js'
import type { LatLon } from './geo.js'
import type { DroneState } from './telemetry.js'

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
  createdAt: number
  updatedAt: number
  history: DeliveryEvent[]
}

/** Messages on `ws://…/v1/track/{id}`. */
export type TrackMessage =
  | { type: 'snapshot'; delivery: DeliverySnapshot }
  | TrackingMessage
  | { type: 'status'; deliveryId: string; status: DeliveryStatus; event: DeliveryEvent }

export function decodeTracking(payload: Buffer | string): TrackingMessage | undefined {
  try {
    const m = JSON.parse(payload.toString()) as TrackingMessage
    return m && m.type === 'tracking' && typeof m.deliveryId === 'string' ? m : undefined
  } catch {
    return undefined
  }
}
