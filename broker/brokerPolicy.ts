import { createHash, timingSafeEqual } from 'node:crypto'
import type { Topics } from '../protocol/topics.js'

/**
 * Who may connect to the embedded broker and what each may publish and
 * subscribe to. Pure: the aedes adapter (embeddedBroker.ts) only asks it.
 *
 * Roles: `engine`, `gateway` and `sim` get exactly the topics their part
 * uses; `drone` (whose username is its drone id) may publish only its own
 * telemetry and subscribe only to its own commands; `admin` may do anything
 * (operators' tools, tests).
 */
export const BROKER_ROLES = ['admin', 'engine', 'gateway', 'sim', 'drone'] as const
export type BrokerRole = (typeof BROKER_ROLES)[number]

export interface BrokerUser {
  username: string
  password: string
  role: BrokerRole
}

/** An authenticated client. */
export interface BrokerIdentity {
  username: string
  role: BrokerRole
}

export interface BrokerPolicy {
  /** The identity for these credentials, or undefined when they are wrong. */
  authenticate(username: string | undefined, password: Buffer | string | undefined): BrokerIdentity | undefined
  mayPublish(who: BrokerIdentity, topic: string): boolean
  /** `filter` may hold wildcards: allowed only when every topic it matches is allowed. */
  maySubscribe(who: BrokerIdentity, filter: string): boolean
}

interface Grants {
  publish: string[]
  subscribe: string[]
}

function grants(role: BrokerRole, t: Topics, username: string): Grants {
  const events = t.deliveryEventsAll
  const tracking = t.trackingAll
  // The same grants on every named region's topics (`{prefix}/regions/+/…`) as on the default region's.
  const r = t.forRegion('+')
  switch (role) {
    case 'admin':
      return { publish: ['#'], subscribe: ['#'] }
    case 'engine':
      return {
        publish: [t.commandsAll, events, tracking, t.engineWatermark, r.engineWatermark, t.engineProbeAll, t.engineStatusAll],
        subscribe: [
          t.telemetryAll,
          t.telemetryBatchAll,
          t.requests,
          t.simClock,
          r.telemetryAll,
          r.telemetryBatchAll,
          r.requests,
          r.simClock,
          t.engineProbeAll,
        ],
      }
    case 'gateway':
      // An engine apart says what it holds and how it is doing on its status topic; gateways apart read it.
      return { publish: [t.requests, r.requests], subscribe: [events, tracking, t.engineStatusAll] }
    case 'sim':
      return {
        publish: [t.telemetryAll, t.telemetryBatchAll, t.simClock, r.telemetryAll, r.telemetryBatchAll, r.simClock],
        subscribe: [t.commandsAll, t.engineWatermark, r.engineWatermark, events, tracking],
      }
    case 'drone':
      // A drone's own telemetry topic, in whichever region it flies.
      return { publish: [t.telemetry(username), r.telemetry(username)], subscribe: [t.commands(username)] }
    default: {
      const never: never = role
      return never
    }
  }
}

/**
 * True when every topic that `filter` matches is matched by `pattern` (both
 * MQTT filters). For a plain topic, that is simply "pattern matches topic".
 */
export function covers(pattern: string, filter: string): boolean {
  const p = pattern.split('/')
  const f = filter.split('/')
  for (let i = 0; i < p.length; i++) {
    const pl = p[i] as string
    if (pl === '#') return true
    const fl = f[i]
    if (fl === undefined || fl === '#') return false
    if (pl === '+') continue
    if (fl === '+' || fl !== pl) return false
  }
  return p.length === f.length
}

const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest()

export function brokerPolicy(users: readonly BrokerUser[], topics: Topics): BrokerPolicy {
  const byName = new Map<string, { user: BrokerUser; digest: Buffer; grants: Grants }>()
  for (const user of users)
    byName.set(user.username, { user, digest: digest(user.password), grants: grants(user.role, topics, user.username) })
  const grantsOf = (who: BrokerIdentity): Grants | undefined => byName.get(who.username)?.grants

  return {
    authenticate(username, password) {
      if (username === undefined || password === undefined) return undefined
      const known = byName.get(username)
      // Compare digests, so the comparison takes the same time whatever the password's length; run it for unknown users too.
      const ok = timingSafeEqual(digest(password), known?.digest ?? digest('\0no such user'))
      return known && ok ? { username, role: known.user.role } : undefined
    },
    mayPublish(who, topic) {
      if (topic.includes('+') || topic.includes('#')) return false
      return grantsOf(who)?.publish.some((p) => covers(p, topic)) ?? false
    },
    maySubscribe(who, filter) {
      return grantsOf(who)?.subscribe.some((p) => covers(p, filter)) ?? false
    },
  }
}
