import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Tracking tokens: `<expiresAtMs>.<mac>` where mac = base64url(HMAC-SHA256(secret,
 * deliveryId + "\n" + expiresAtMs)). The delivery id is inside the MAC, so a
 * token opens exactly one delivery; the expiry is in clear so it needs no lookup.
 * Stateless: any gateway holding the same secret can verify it.
 */

export type TokenCheck =
  | { ok: true; expiresAt: number }
  /** `malformed` and `expired` mean "no usable credential" (401); `mismatch` is a forged token or one for another delivery (403). */
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' }

const TOKEN = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/

function mac(secret: Buffer, deliveryId: string, expiresAt: number): Buffer {
  return createHmac('sha256', secret).update(`${deliveryId}\n${expiresAt}`).digest()
}

export function signTrackingToken(secret: Buffer, deliveryId: string, expiresAt: number): string {
  const at = Math.floor(expiresAt)
  return `${at}.${mac(secret, deliveryId, at).toString('base64url')}`
}

export function verifyTrackingToken(secret: Buffer, deliveryId: string, token: string | undefined, now: number): TokenCheck {
  if (!token) return { ok: false, reason: 'missing' }
  const m = TOKEN.exec(token)
  if (!m) return { ok: false, reason: 'malformed' }
  const expiresAt = Number(m[1])
  const given = Buffer.from(m[2] as string, 'base64url')
  const expected = mac(secret, deliveryId, expiresAt)
  // The MAC is checked before the expiry so a forged token never learns whether its expiry would have passed.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'mismatch' }
  if (now >= expiresAt) return { ok: false, reason: 'expired' }
  return { ok: true, expiresAt }
}
