import uWS from 'uWebSockets.js'
import type pino from 'pino'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { isTerminal } from '../protocol/events.js'
import type { TrackMessage } from '../protocol/tracking.js'
import type { DeliveryBook } from './DeliveryBook.js'
import { verifyTrackingToken } from './trackingToken.js'

export interface TrackingSocketOptions {
  host: string
  port: number
  book: DeliveryBook
  trackingSecret: Buffer
  now: () => number
  logger?: pino.Logger | undefined
  /** Above this many buffered bytes a client skips tracking messages until it drains. */
  skipAboveBytes?: number
}

export interface TrackingSocket {
  port: number
  clients(): number
  /** Tracking messages not sent because a client was too slow. */
  skipped(): number
  close(): void
}

interface Client {
  deliveryId: string
  stop?: () => void
}

// Status messages are rare and must not be lost to a skip; uWS drops sends only beyond this hard bound.
const MAX_BACKPRESSURE = 1024 * 1024

/**
 * `ws://host:port/v1/track/{deliveryId}?token=…` on uWebSockets.js. The token
 * is checked in the upgrade handler, so a refused client never gets a socket.
 * Each client gets a snapshot, then tracking and status messages; slow
 * clients skip tracking messages (the next one supersedes them) rather than
 * growing a queue.
 */
export function startTrackingSocket(o: TrackingSocketOptions): Promise<TrackingSocket> {
  const skipAbove = o.skipAboveBytes ?? 64 * 1024
  const sockets = new Set<uWS.WebSocket<Client>>()
  let skipped = 0

  const refuse = (res: uWS.HttpResponse, status: string, why: string): void => {
    res.cork(() => {
      res.writeStatus(status).writeHeader('content-type', 'text/plain').end(why, true)
    })
  }

  const app = uWS.App()
  app.ws<Client>('/v1/track/:id', {
    compression: uWS.DISABLED,
    maxPayloadLength: 1024, // clients have nothing to say
    maxBackpressure: MAX_BACKPRESSURE,
    idleTimeout: 120,
    sendPingsAutomatically: true,

    upgrade(res, req, context) {
      // Everything below is synchronous, so the response cannot be aborted under us;
      // the handler is still attached because uWS requires one before any deferred answer.
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
      if (!o.book.get(deliveryId)) return refuse(res, '404 Not Found', 'unknown delivery\n')
      res.cork(() => res.upgrade<Client>({ deliveryId }, key, protocol, extensions, context))
    },

    open(ws) {
      sockets.add(ws)
      const client = ws.getUserData()
      const snapshot = o.book.get(client.deliveryId)
      if (!snapshot) return ws.end(1011, 'delivery forgotten')
      send(ws, { type: 'snapshot', delivery: snapshot })
      if (isTerminal(snapshot.status)) return ws.end(1000, `delivery ${snapshot.status}`)
      client.stop = o.book.subscribe(client.deliveryId, (msg) => {
        if (msg.type === 'tracking') {
          if (ws.getBufferedAmount() > skipAbove) {
            skipped++
            return
          }
          send(ws, msg)
        } else {
          send(ws, msg)
          if (isTerminal(msg.status)) ws.end(1000, `delivery ${msg.status}`)
        }
      })
    },

    close(ws) {
      sockets.delete(ws)
      ws.getUserData().stop?.()
    },
  })
  app.any('/*', (res) => refuse(res, '404 Not Found', 'tracking lives at /v1/track/{deliveryId}?token=…\n'))

  return new Promise((resolve, reject) => {
    app.listen(o.host, o.port, (listenSocket) => {
      if (!listenSocket) {
        reject(new DronefleetError(ErrorCodes.PORT_IN_USE, `cannot listen on ${o.host}:${o.port} (in use?); choose another with --ws-port`, '--ws-port', o.port))
        return
      }
      resolve({
        port: uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket),
        clients: () => sockets.size,
        skipped: () => skipped,
        close() {
          uWS.us_listen_socket_close(listenSocket)
          // end() runs the close handler at once, which edits the set: iterate over a copy.
          for (const ws of [...sockets]) ws.end(1001, 'server shutting down')
        },
      })
    })
  })
}

/** A malformed %-escape must not throw inside a uWS callback (that would take the process down). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

function send(ws: uWS.WebSocket<Client>, msg: TrackMessage): void {
  ws.send(JSON.stringify(msg), false)
}
