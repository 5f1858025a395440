import { signTrackingToken } from './trackingToken.js'

/** What a customer is given to follow one delivery: the token and the two URLs it opens. */
export interface TrackingLink {
  trackingToken: string
  /** The WebSocket of live tracking. */
  trackingUrl: string
  /** The tracking page. */
  trackingPage: string
  /** When the token stops opening them, ms since the epoch (wall time). */
  expiresAt: number
}

/** Signs a token for one delivery and builds its links on the gateway's public base URLs. */
export function trackingLink(
  o: { trackingSecret: Buffer; httpUrl: string; wsUrl: string },
  deliveryId: string,
  expiresAt: number,
): TrackingLink {
  const trackingToken = signTrackingToken(o.trackingSecret, deliveryId, expiresAt)
  const q = `${encodeURIComponent(deliveryId)}?token=${encodeURIComponent(trackingToken)}`
  return {
    trackingToken,
    trackingUrl: `${o.wsUrl}/v1/track/${q}`,
    trackingPage: `${o.httpUrl}/track/${q}`,
    expiresAt: Math.floor(expiresAt),
  }
}
