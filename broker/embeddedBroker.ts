import { createServer, type Server, type Socket } from 'node:net'
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes'
import type { Logger } from 'pino'
import type { BrokerIdentity, BrokerPolicy } from './brokerPolicy.js'
import {
  DEFAULT_MAX_CONNECT_BYTES,
  DEFAULT_MAX_PACKET_BYTES,
  resolveEmbeddedBrokerOptions,
  type EmbeddedBrokerOptions,
} from './embeddedBrokerOptions.js'
import { coalesceWrites } from './coalesceWrites.js'
import { listenOn } from './listenOn.js'
import { PacketSizeGuard } from './PacketSizeGuard.js'

export type { EmbeddedBrokerOptions }

export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:PORT`, without credentials. */
  url: string
  port: number
  aedes: Aedes
  /** QoS 0 messages not forwarded to a subscriber that had fallen more than maxBufferedBytes behind. */
  readonly slowSubscriberDrops: number
  /** What the broker refused, for /metrics. */
  readonly refusals: BrokerRefusals
  close(): Promise<void>
}

/** What the embedded broker refused since it started. */
export interface BrokerRefusals {
  /** CONNECTs with bad credentials. */
  authFailures: number
  publishes: number
  subscriptions: number
  /** Connections closed for a packet over the size limit (or too many bytes before authentication). */
  oversizedPackets: number
  slowSubscriberDrops: number
}

/** aedes answers CONNACK with this code when authenticate fails with it (MQTT 3.1.1: bad user name or password). */
const BAD_USERNAME_OR_PASSWORD = 4

/** The aedes hooks that ask the policy; the identity of each client is kept beside it, not on it. */
function policyHooks(policy: BrokerPolicy, log: Logger | undefined, refusals: BrokerRefusals): Partial<AedesOptions> {
  const identities = new WeakMap<Client, BrokerIdentity>()
  return {
    authenticate(client, username, password, done) {
      const who = policy.authenticate(username, password)
      if (!who) {
        refusals.authFailures++
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
      refusals.publishes++
      log?.warn({ clientId: client?.id, username: who?.username, topic: packet.topic }, 'broker: refused a publish')
      done(new Error(`${who?.username ?? 'this client'} may not publish on ${packet.topic}`))
    },
    // A refused subscription gets a failure return code in SUBACK (null subscription); the client stays connected.
    authorizeSubscribe(client, sub, done) {
      const who = identities.get(client)
      if (who && policy.maySubscribe(who, sub.topic)) return done(null, sub)
      refusals.subscriptions++
      log?.warn({ clientId: client.id, username: who?.username, topic: sub.topic }, 'broker: refused a subscription')
      done(null, null)
    },
  }
}

/**
 * Bounds what a connection may make aedes buffer: aedes reads the socket
 * with read() and parses whatever it gets, buffering a packet of any
 * announced size. Before the client is authenticated all it sends counts
 * against maxConnectBytes; after, each packet against maxPacketBytes. Over
 * either, the connection is closed before the bytes reach the parser.
 */
function boundPackets(
  socket: Socket,
  authenticated: () => boolean,
  o: { maxConnectBytes: number; maxPacketBytes: number },
  refused: () => void,
): void {
  const guard = new PacketSizeGuard(() => (authenticated() ? o.maxPacketBytes : o.maxConnectBytes))
  let before = 0
  const read = socket.read.bind(socket)
  socket.read = (size?: number): ReturnType<Socket['read']> => {
    const chunk: unknown = read(size)
    if (!(chunk instanceof Uint8Array) || socket.destroyed) return chunk
    if (!authenticated()) before += chunk.length
    if (before > o.maxConnectBytes || guard.feed(chunk) > 0) {
      refused()
      socket.destroy()
      return null
    }
    return chunk
  }
}

/**
 * Starts an aedes broker on a TCP port (0 picks a free one). A port in use is
 * reported as a DronefleetError naming `flag`, so the user knows what to change.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const opts = resolveEmbeddedBrokerOptions(options)
  const maxBuffered = opts.maxBufferedBytes
  const refusals: BrokerRefusals = { authFailures: 0, publishes: 0, subscriptions: 0, oversizedPackets: 0, slowSubscriberDrops: 0 }
  // Clients being dropped for, so the warning is logged once per episode.
  const behind = new WeakSet<Client>()
  let behindCount = 0
  const aedes = await Aedes.createBroker({
    ...(opts.policy ? policyHooks(opts.policy, opts.logger, refusals) : {}),
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
      refusals.slowSubscriberDrops++
      if (!behind.has(client)) {
        behind.add(client)
        behindCount++
        opts.logger?.warn(
          { clientId: client.id, waitingBytes: waiting },
          'broker: a subscriber fell behind; dropping its QoS 0 messages until it catches up',
        )
      }
      return null
    },
  })
  const bounds = {
    maxConnectBytes: opts.maxConnectBytes ?? DEFAULT_MAX_CONNECT_BYTES,
    maxPacketBytes: opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES,
  }
  const ready = new WeakSet<Client>()
  aedes.on('clientReady', (client) => ready.add(client))
  aedes.on('clientDisconnect', (client) => {
    if (behind.delete(client)) behindCount--
  })
  // Small packets (telemetry, lockstep clock) must not wait for Nagle's
  // algorithm; they are batched per loop turn instead (coalesceWrites).
  const server: Server = createServer({ highWaterMark: 2 * maxBuffered }, (socket) => {
    socket.setNoDelay(true)
    coalesceWrites(socket)
    let client: Client | null = null
    boundPackets(
      socket,
      () => client !== null && ready.has(client),
      bounds,
      () => {
        refusals.oversizedPackets++
        opts.logger?.warn(
          { clientId: client?.id, remoteAddress: socket.remoteAddress },
          'broker: closed a connection for a packet over the size limit',
        )
      },
    )
    client = aedes.handle(socket)
  })
  const host = opts.host
  let port: number
  try {
    port = await listenOn(server, opts.port, host, opts.flag)
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    throw err
  }
  return {
    url: `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    aedes,
    get slowSubscriberDrops() {
      return refusals.slowSubscriberDrops
    },
    refusals,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
