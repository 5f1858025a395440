import { isLatitude, isLongitude, polygonProblems, type LatLon, type Zone } from './geo.js'
import { isDeliveryRequest, MAX_MESSAGE_BYTES } from './messageSchemas.js'

/**
 * Gateway → engine, on the `requests` topic with QoS 1: deliveries, and the
 * no-fly zones that shape their routes.
 */
export type DeliveryRequest =
  | {
      type: 'CreateDelivery'
      id: string
      pickup: LatLon
      dropoff: LatLon
      weightKg: number
      /** ms since the epoch, or null for "as soon as possible". */
      deadline: number | null
    }
  | { type: 'CancelDelivery'; id: string; reason: string }
  | {
      /** A new drop-off and/or deadline for an existing delivery; the engine re-plans. */
      type: 'RescheduleDelivery'
      id: string
      dropoff?: LatLon
      /** ms since the epoch; null removes the deadline; absent keeps it. */
      deadline?: number | null
    }
  /** Adds a zone, or replaces the zone with that id. */
  | ({ type: 'AddZone' } & Zone)
  | { type: 'RemoveZone'; id: string }

const isPoint = (p: unknown): p is LatLon =>
  typeof p === 'object' && p !== null && isLatitude((p as LatLon).lat) && isLongitude((p as LatLon).lon)

/**
 * Parses a request from the broker; undefined when it is not a well-formed
 * one. The gateway validated it already, but the topic is open to any client.
 */
export function decodeRequest(payload: Buffer | string): DeliveryRequest | undefined {
  if (payload.length > MAX_MESSAGE_BYTES) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(payload.toString())
  } catch {
    return undefined
  }
  // The shape in full first (protocol/messageSchemas.ts), then what a schema cannot say.
  if (!isDeliveryRequest.Check(parsed)) return undefined
  const r = parsed as DeliveryRequest
  switch (r.type) {
    case 'CreateDelivery':
      return isPoint(r.pickup) &&
        isPoint(r.dropoff) &&
        typeof r.weightKg === 'number' &&
        r.weightKg > 0 &&
        (r.deadline === null || Number.isFinite(r.deadline))
        ? r
        : undefined
    case 'CancelDelivery':
      return typeof r.reason === 'string' ? r : undefined
    case 'RescheduleDelivery':
      // Something must change; each field present must be well-formed.
      if (r.dropoff === undefined && r.deadline === undefined) return undefined
      if (r.dropoff !== undefined && !isPoint(r.dropoff)) return undefined
      if (r.deadline !== undefined && r.deadline !== null && !(Number.isFinite(r.deadline) && r.deadline >= 0)) return undefined
      return r
    case 'AddZone':
      return (r.name === undefined || typeof r.name === 'string') && typeof r.noFly === 'boolean' && polygonProblems(r.polygon).length === 0
        ? r
        : undefined
    case 'RemoveZone':
      return r
    default:
      return undefined
  }
}
