import type { LatLon } from './geo.js'

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

export function decodeRequest(payload: Buffer | string): DeliveryRequest | undefined {
  try {
    const r = JSON.parse(payload.toString()) as DeliveryRequest
    return r && typeof r.id === 'string' && (r.type === 'CreateDelivery' || r.type === 'CancelDelivery') ? r : undefined
  } catch {
    return undefined
  }
}
