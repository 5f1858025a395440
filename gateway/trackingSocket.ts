import uWS from 'uWebSockets.js'
import type pino from 'pino'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { isTerminal } from '../protocol/events.js'
import type { TrackingMessage, TrackMessage } from '../protocol/tracking.js'
import type { DeliveryBook, DeliveryListener } from './DeliveryBook.js'
import type { EngineView } from './EngineView.js'
import { registerFleetSocket, type FleetSocket } from './fleetSocket.js'
import { startHeartbeat, type Heartbeat } from './heartbeat.js'
import { verifyTrackingToken } from './trackingToken.js'

export interface TrackingSocketOptions {
  host: string
  port: number
  book: DeliveryBook
  /** Finds a delivery the book does not hold (after a restart) and takes it into the book; true when found. */
  find?: (deliveryId: string) => Promise<boolean>
  trackingSecret: Buffer
  now: () => number
  logger?: pino.Logger | undefined
  /** Above this many unsent bytes a client stops getting tracking messages; it keeps only the latest and gets it on drain. */
  coalesceAboveBytes: number
  /** Ping every client this often; one that has not answered the previous ping is closed. 0 disables. */
  heartbeatMs: number
  /** For /v1/fleet. */
  engine: EngineView
  /** Bearer key for /v1/fleet; null leaves it open, like the REST routes. */
  apiKey: string | null
  /** How often /v1/fleet sends the whole fleet, ms. */
  fleetIntervalMs: number
  /** Called once per tracking message that says when the engine received its sample (`receivedAt`, wall ms), when it has been handed to the first client's socket. */
  onTrackingSent?: (receivedAt: number) => void
}

export interface TrackingSocket {
  port: number
  clients(): number
  fleetClients(): number
  /** Tracking messages a slow client never got because a newer one replaced them. */
  skipped(): number
  /** Requests refused a WebSocket (bad token, unknown delivery, no API key, wrong path). */
  upgradesRefused(): number
  close(): void
}

interface Client {
  deliveryId: string
  stop?: () => void
  /** The newest tracking message this client has not been sent yet (it was behind). At most one: coalesced. */
  pending?: TrackingMessage | undefined
  alive: boolean
}

// Status messages are rare and must not be lost; uWS drops a send only beyond this hard bound.
const MAX_BACKPRESSURE = 1024 * 1024

/**
 * `ws://host:port/v1/track/{deliveryId}?token=…` on uWebSockets.js. The token
 * is checked in the upgrade handler, so a refused client never gets a socket.
 * Each client gets a snapshot, then tracking and status messages.
 *
 * A slow client is never queued for: once more than `coalesceAboveBytes` are
 * unsent, it keeps only the newest tracking message and gets it when its
 * socket drains. Each message is serialized once for all its clients, and a
 * send never waits, so a slow client cannot delay anyone else.
 */
export function startTrackingSocket(o: TrackingSocketOptions): Promise<TrackingSocket> {
  const coalesceAbove = o.coalesceAboveBytes
  const sockets = new Set<uWS.WebSocket<Client>>()
  let skipped = 0
  let refused = 0
  // One JSON string per message whatever the number of clients; one latency sample per message.
  const encoded = new WeakMap<object, string>()
  const encode = (msg: TrackMessage): string => {
    let s = encoded.get(msg)
    if (s === undefined) encoded.set(msg, (s = JSON.stringify(msg)))
    return s
  }
  const observed = new WeakSet<object>()
  const sent = (msg: TrackMessage): void => {
    if (msg.type !== 'tracking' || observed.has(msg)) return
    observed.add(msg)
    if (typeof msg.receivedAt === 'number' && Number.isFinite(msg.receivedAt)) o.onTrackingSent?.(msg.receivedAt)
  }

  const refuse = (res: uWS.HttpResponse, status: string, why: string): void => {
    refused++
    res.cork(() => {
      res.writeStatus(status).writeHeader('content-type', 'text/plain').end(why, true)
    })
  }

  /** Sends the held-back tracking message, if any, now that there is room (or before a status, to keep order). */
  const flush = (ws: uWS.WebSocket<Client>): void => {
    const c = ws.getUserData()
    const msg = c.pending
    if (msg === undefined) return
    c.pending = undefined
    ws.send(encode(msg), false)
    sent(msg)
  }

  const app = uWS.App()
  app.ws<Client>('/v1/track/:id', {
    compression: uWS.DISABLED,
    maxPayloadLength: 1024, // clients have nothing to say
    maxBackpressure: MAX_BACKPRESSURE,
    // Liveness is the heartbeat's job (explicit pings, closes on a missing pong); uWS's idle timer is only a backstop.
    idleTimeout: 0,
    sendPingsAutomatically: false,

    upgrade(res, req, context) {
      // Synchronous unless the delivery must be looked up in the store: then the answer is deferred.
      let aborted = false
      res.onAborted(() => {
        aborted = true
      })
      const deliveryId = safeDecode(req.getParameter(0) ?? '')
      const token = req.getQuery('token') || undefined
      const key = req.getHeader('sec-websocket-key')
      const protocol = req.getHeader('sec-websocket-protocol')
      const extensions = req.getHeader('sec-websocket-extensions')
      const check = verifyTrackingToken(o.trackingSecret, deliveryId, token, o.now())
      if (aborted) return
      if (!check.ok) {
        o.logger?.debug({ deliveryId, reason: check.reason }, 'tracking socket refused')
        if (check.reason === 'mismatch') return refuse(res, '403 Forbidden', 'this token does not open this delivery\n')
        return refuse(res, '401 Unauthorized', `tracking token ${check.reason}\n`)
      }
      // Checked after the token, so only a token holder can learn whether a delivery exists.
      const upgrade = (): void => {
        res.cork(() => res.upgrade<Client>({ deliveryId, alive: true }, key, protocol, extensions, context))
      }
      if (o.book.get(deliveryId)) return upgrade()
      if (!o.find) return refuse(res, '404 Not Found', 'unknown delivery\n')
      // Not live here (accepted before a restart): the store may know it; the answer is deferred, hence onAborted.
      o.find(deliveryId).then(
        (found) => {
          if (aborted) return
          if (found) upgrade()
          else refuse(res, '404 Not Found', 'unknown delivery\n')
        },
        (err: unknown) => {
          o.logger?.warn({ deliveryId, err: (err as Error).message }, 'tracking socket: store lookup failed')
          if (!aborted) refuse(res, '503 Service Unavailable', 'the store is unavailable; retry shortly\n')
        },
      )
    },

    open(ws) {
      sockets.add(ws)
      const client = ws.getUserData()
      const snapshot = o.book.get(client.deliveryId)
      if (!snapshot) return ws.end(1011, 'delivery forgotten')
      ws.send(
        JSON.stringify({ type: 'snapshot', delivery: snapshot, trail: o.book.trail(client.deliveryId) } satisfies TrackMessage),
        false,
      )
      if (isTerminal(snapshot.status)) return ws.end(1000, `delivery ${snapshot.status}`)
      const listener: DeliveryListener = (msg) => {
        if (msg.type === 'tracking') {
          if (client.pending !== undefined) skipped++ // superseded, whatever happens next
          if (ws.getBufferedAmount() > coalesceAbove) {
            client.pending = msg
            return
          }
          client.pending = undefined
          ws.send(encode(msg), false)
          sent(msg)
        } else {
          ws.cork(() => {
            flush(ws)
            ws.send(encode(msg), false)
          })
          if (isTerminal(msg.status)) ws.end(1000, `delivery ${msg.status}`)
        }
      }
      client.stop = o.book.subscribe(client.deliveryId, listener)
    },

    drain(ws) {
      if (ws.getBufferedAmount() <= coalesceAbove) flush(ws)
    },

    pong(ws) {
      ws.getUserData().alive = true
    },

    close(ws) {
      sockets.delete(ws)
      ws.getUserData().stop?.()
    },
  })

  const fleet: FleetSocket = registerFleetSocket(app, {
    engine: o.engine,
    apiKey: o.apiKey,
    intervalMs: o.fleetIntervalMs,
    now: o.now,
    logger: o.logger,
    onRefused: () => {
      refused++
    },
  })
  app.any('/*', (res) => refuse(res, '404 Not Found', 'tracking lives at /v1/track/{deliveryId}?token=…, the fleet at /v1/fleet\n'))

  return new Promise((resolve, reject) => {
    app.listen(o.host, o.port, (listenSocket) => {
      if (!listenSocket) {
        fleet.close()
        reject(
          new DronefleetError(
            ErrorCodes.PORT_IN_USE,
            `cannot listen on ${o.host}:${o.port} (in use?); choose another with --ws-port`,
            '--ws-port',
            o.port,
          ),
        )
        return
      }
      const heartbeat: Heartbeat | undefined =
        o.heartbeatMs === 0 ? undefined : startHeartbeat(o.heartbeatMs, () => [...sockets, ...fleet.sockets()])
      resolve({
        port: uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket),
        clients: () => sockets.size,
        fleetClients: () => fleet.clients(),
        skipped: () => skipped,
        upgradesRefused: () => refused,
        close() {
          heartbeat?.stop()
          fleet.close()
          uWS.us_listen_socket_close(listenSocket)
          // end() runs the close handler at once, which edits the set: iterate over a copy.
          for (const ws of [...sockets]) ws.end(1001, 'server shutting down')
        },
      })
    })
  })
}

/** A malformed %-escape must not throw inside a uWS callback (that would take the process down). */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
