import { isLatitude, isLongitude, type LatLon } from './geo.js'

/** Gateway → engine, on the `requests` topic with QoS 1. */
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

const isPoint = (p: unknown): p is LatLon =>
  typeof p === 'object' && p !== null && isLatitude((p as LatLon).lat) && isLongitude((p as LatLon).lon)

/**
 * Parses a request from the broker; undefined when it is not a well-formed
 * one. The gateway validated it already, but the topic is open to any client.
 */
export function decodeRequest(payload: Buffer | string): DeliveryRequest | undefined {
  let r: DeliveryRequest
  try {
    r = JSON.parse(payload.toString()) as DeliveryRequest
  } catch {
    return undefined
  }
  if (!r || typeof r.id !== 'string' || r.id.length === 0) return undefined
  switch (r.type) {
    case 'CreateDelivery':
      return isPoint(r.pickup) && isPoint(r.dropoff) && typeof r.weightKg === 'number' && r.weightKg > 0 &&
        (r.deadline === null || Number.isFinite(r.deadline)) ? r : undefined
    case 'CancelDelivery':
      return typeof r.reason === 'string' ? r : undefined
    default:
      return undefined
  }
}
