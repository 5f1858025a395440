import { randomBytes } from 'node:crypto'
import { DronefleetError, ErrorCodes, showValue } from '../protocol/errors.js'
import { BROKER_ROLES, type BrokerRole, type BrokerUser } from './brokerPolicy.js'

/** A drone's username is its drone id, so it must be a valid id (and can never hold an MQTT wildcard). */
const DRONE_ID = /^[A-Za-z0-9._-]{1,64}$/
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/

/**
 * Parses the broker users of a configuration file:
 * `{"users":[{"username":"d-17","password":"…","role":"drone"}, …]}`.
 * Every problem names the file, the field and the value.
 */
export function parseBrokerUsers(input: unknown, source: string): BrokerUser[] {
  const fail = (field: string, value: unknown, message: string): never => {
    throw new DronefleetError(ErrorCodes.FLAG_INVALID, `${source}: ${field} ${message}, got ${showValue(value)}`, field, value)
  }
  const users = (input as { users?: unknown } | null)?.users
  if (typeof input !== 'object' || input === null || !Array.isArray(users))
    return fail('users', users, 'must be a list of {username, password, role}')
  const seen = new Set<string>()
  return users.map((u: unknown, i): BrokerUser => {
    const at = `users[${i}]`
    if (typeof u !== 'object' || u === null) return fail(at, u, 'must be an object {username, password, role}')
    const { username, password, role } = u as Record<string, unknown>
    if (!(BROKER_ROLES as readonly unknown[]).includes(role)) return fail(`${at}.role`, role, `must be one of ${BROKER_ROLES.join(', ')}`)
    const pattern = role === 'drone' ? DRONE_ID : USERNAME
    if (typeof username !== 'string' || !pattern.test(username)) {
      return fail(
        `${at}.username`,
        username,
        role === 'drone' ? 'must be the drone id (1-64 characters of A-Z a-z 0-9 . _ -)' : 'must be 1-64 characters of A-Z a-z 0-9 . _ @ -',
      )
    }
    if (seen.has(username)) return fail(`${at}.username`, username, 'is listed twice')
    seen.add(username)
    if (typeof password !== 'string' || password.length < 8)
      return fail(`${at}.password`, password === undefined ? undefined : '***', 'must be a string of at least 8 characters')
    return { username, password, role: role as BrokerRole }
  })
}

/** A fresh password for a generated user; URL-safe, so it can ride in an mqtt:// URL. */
export const generatedPassword = (): string => randomBytes(18).toString('hex')

/**
 * Credentials for the service's own clients: fresh, or `password` (kept in
 * the store, so URLs printed before a restart stay valid after it).
 */
export function generatedUser(role: BrokerRole, password: string = generatedPassword()): BrokerUser {
  return { username: `dronefleet-${role}`, password, role }
}

/** `mqtt://user:password@host:port` from a credential-less broker URL. */
export function urlWithCredentials(url: string, user: BrokerUser): string {
  const u = new URL(url)
  u.username = encodeURIComponent(user.username)
  u.password = encodeURIComponent(user.password)
  return u.toString().replace(/\/$/, '')
}
