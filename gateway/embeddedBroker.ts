import { createServer, type Server } from 'node:net'
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes'
import type { Logger } from 'pino'
import type { BrokerIdentity, BrokerPolicy } from './brokerPolicy.js'
import { coalesceWrites } from './coalesceWrites.js'
import { listenOn } from './listenOn.js'

export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:PORT`, without credentials. */
  url: string
  port: number
  aedes: Aedes
  /** QoS 0 messages not forwarded to a subscriber that had fallen more than maxBufferedBytes behind. */
  readonly slowSubscriberDrops: number
  close(): Promise<void>
}

export interface EmbeddedBrokerOptions {
  port: number
  host?: string
  flag?: string
  /** Without a policy every client may connect and do anything (tests of other parts). */
  policy?: BrokerPolicy
  logger?: Logger | undefined
  /** A subscriber with more than this many bytes waiting on its socket loses QoS 0 messages until it catches up. Default 4 MiB. */
  maxBufferedBytes?: number
}

const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024

/** aedes answers CONNACK with this code when authenticate fails with it (MQTT 3.1.1: bad user name or password). */
const BAD_USERNAME_OR_PASSWORD = 4

/** The aedes hooks that ask the policy; the identity of each client is kept beside it, not on it. */
function policyHooks(policy: BrokerPolicy, log: Logger | undefined): Partial<AedesOptions> {
  const identities = new WeakMap<Client, BrokerIdentity>()
  return {
    authenticate(client, username, password, done) {
      const who = policy.authenticate(username, password)
      if (!who) {
        log?.warn({ clientId: client.id, username }, 'broker: refused a client with bad credentials')
        const err = Object.assign(new Error('bad user name or password'), { returnCode: BAD_USERNAME_OR_PASSWORD }) as AuthenticateError
        return done(err, false)
      }
      identities.set(client, who)
      done(null, true)
    },
    // A refused publish closes the client's connection (MQTT 3.1.1 has no negative PUBACK), and nobody gets the message.
    authorizePublish(client, packet, done) {
      const who = client ? identities.get(client) : undefined
      if (who && policy.mayPublish(who, packet.topic)) return done(null)
      log?.warn({ clientId: client?.id, username: who?.username, topic: packet.topic }, 'broker: refused a publish')
      done(new Error(`${who?.username ?? 'this client'} may not publish on ${packet.topic}`))
    },
    // A refused subscription gets a failure return code in SUBACK (null subscription); the client stays connected.
    authorizeSubscribe(client, sub, done) {
      const who = identities.get(client)
      if (who && policy.maySubscribe(who, sub.topic)) return done(null, sub)
      log?.warn({ clientId: client.id, username: who?.username, topic: sub.topic }, 'broker: refused a subscription')
      done(null, null)
    },
  }
}

/**
 * Starts an aedes broker on a TCP port (0 picks a free one). A port in use is
 * reported as a DronefleetError naming `flag`, so the user knows what to change.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  let drops = 0
  // Clients being dropped for, so the warning is logged once per episode.
  const behind = new WeakSet<Client>()
  let behindCount = 0
  const aedes = await Aedes.createBroker({
    ...(opts.policy ? policyHooks(opts.policy, opts.logger) : {}),
    // aedes' default lets 100 messages be in flight and queues the rest in
    // one list for all subscribers (a queue that also recurses once it holds
    // messages nobody subscribes to). Each subscriber's socket buffers for
    // itself instead, bounded by the rule below.
    concurrency: 0,
    // aedes reads a publisher's next packets only once every subscriber has
    // taken its last ones, so one subscriber that stops reading would stop
    // every publisher. One that falls behind loses QoS 0 messages instead
    // (MQTT allows it); its socket's high-water mark is set above the limit
    // so that aedes never waits on it for QoS 0.
    authorizeForward(client, packet) {
      const waiting = (client.conn as { writableLength?: number }).writableLength ?? 0
      if (packet.qos > 0 || waiting <= maxBuffered) {
        // Every delivery passes here: look the client up only while some client is behind.
        if (behindCount > 0 && behind.delete(client)) behindCount--
        return packet
      }
      drops++
      if (!behind.has(client)) {
        behind.add(client)
        behindCount++
        opts.logger?.warn({ clientId: client.id, waitingBytes: waiting }, 'broker: a subscriber fell behind; dropping its QoS 0 messages until it catches up')
      }
      return null
    },
  })
  aedes.on('clientDisconnect', (client) => {
    if (behind.delete(client)) behindCount--
  })
  // Small packets (telemetry, lockstep clock) must not wait for Nagle's
  // algorithm; they are batched per loop turn instead (coalesceWrites).
  const server: Server = createServer({ highWaterMark: 2 * maxBuffered }, (socket) => {
    socket.setNoDelay(true)
    coalesceWrites(socket)
    aedes.handle(socket)
  })
  const host = opts.host ?? '127.0.0.1'
  let port: number
  try {
    port = await listenOn(server, opts.port, host, opts.flag ?? '--mqtt-port')
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    throw err
  }
  return {
    url: `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    aedes,
    get slowSubscriberDrops() {
      return drops
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
