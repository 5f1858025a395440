import t from 'tap'
import { signTrackingToken, verifyTrackingToken } from '../gateway/trackingToken.js'

const secret = Buffer.from('a test secret of reasonable length')
const now = 1_763_700_000_000
const hour = 3_600_000

t.test('a token opens the delivery it was signed for until it expires', async (t) => {
  const token = signTrackingToken(secret, 'del-1', now + hour)
  t.match(token, /^\d+\.[A-Za-z0-9_-]{43}$/, 'URL-safe: expiry, dot, base64url MAC')
  t.same(verifyTrackingToken(secret, 'del-1', token, now), { ok: true, expiresAt: now + hour })
  t.same(verifyTrackingToken(secret, 'del-1', token, now + hour - 1), { ok: true, expiresAt: now + hour })
})

t.test('an expired token is refused', async (t) => {
  const token = signTrackingToken(secret, 'del-1', now + hour)
  t.same(verifyTrackingToken(secret, 'del-1', token, now + hour), { ok: false, reason: 'expired' })
})

t.test('a token does not open another delivery', async (t) => {
  const token = signTrackingToken(secret, 'del-1', now + hour)
  t.same(verifyTrackingToken(secret, 'del-2', token, now), { ok: false, reason: 'mismatch' })
  // Ids that differ only by the separator must not collide.
  t.same(verifyTrackingToken(secret, 'del-1\n', token, now), { ok: false, reason: 'mismatch' })
})

t.test('a token signed with another secret is refused', async (t) => {
  const token = signTrackingToken(Buffer.from('another secret'), 'del-1', now + hour)
  t.same(verifyTrackingToken(secret, 'del-1', token, now), { ok: false, reason: 'mismatch' })
})

t.test('extending the expiry breaks the MAC', async (t) => {
  const token = signTrackingToken(secret, 'del-1', now - 1)
  const forged = token.replace(/^\d+/, String(now + hour))
  t.same(verifyTrackingToken(secret, 'del-1', forged, now), { ok: false, reason: 'mismatch' })
  t.same(verifyTrackingToken(secret, 'del-1', token, now), { ok: false, reason: 'expired' }, 'the genuine one is merely expired')
})

t.test('missing and malformed tokens are told apart from forged ones', async (t) => {
  t.same(verifyTrackingToken(secret, 'del-1', undefined, now), { ok: false, reason: 'missing' })
  t.same(verifyTrackingToken(secret, 'del-1', '', now), { ok: false, reason: 'missing' })
  for (const bad of ['abc', '123.', '.abc', `${now}.short`, `x${now}.${'A'.repeat(43)}`, `${now}.${'A'.repeat(44)}`]) {
    t.same(verifyTrackingToken(secret, 'del-1', bad, now), { ok: false, reason: 'malformed' }, bad)
  }
  const token = signTrackingToken(secret, 'del-1', now + hour)
  const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1)
  t.same(verifyTrackingToken(secret, 'del-1', flipped, now), { ok: false, reason: 'mismatch' })
})
