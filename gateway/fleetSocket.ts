import { createHash, timingSafeEqual } from 'node:crypto'
import type pino from 'pino'
import uWS from 'uWebSockets.js'
import type { DroneView } from '../protocol/views.js'
import type { EngineView } from './EngineView.js'
import type { Beating } from './heartbeat.js'

export interface FleetSocketOptions {
  engine: EngineView
  /** Null leaves the stream open (as the REST routes are when no key is configured). */
  apiKey: string | null
  intervalMs: number
  now: () => number
  logger?: pino.Logger | undefined
  /** Called for each upgrade refused (counted in /metrics). */
  onRefused?: () => void
}

export interface FleetSocket {
  clients(): number
  sockets(): Iterable<uWS.WebSocket<Beating>>
  close(): void
}

/** One drone in a `fleet` message: what a dashboard draws. `lost` (an addition) is there, true, only for a drone the engine has declared lost. */
export type FleetDrone = Pick<
  DroneView,
  'id' | 'lat' | 'lon' | 'alt' | 'heading' | 'speed' | 'battery' | 'state' | 'deliveryId' | 'lastSeen'
> & { lost?: true }

/** Sent on /v1/fleet every interval: the whole fleet as the engine sees it. */
export interface FleetMessage {
  type: 'fleet'
  /** Wall-clock time of this frame, ms since the epoch. */
  ts: number
  drones: FleetDrone[]
}

const TOPIC = 'fleet'
// A frame is a complete picture, so a client that is behind loses nothing by skipping one.
const MAX_BACKPRESSURE = 4 * 1024 * 1024
const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * `ws://host:port/v1/fleet` for dashboards (operator API key, as
 * `Authorization: Bearer` or, for browsers that cannot set headers,
 * `?apiKey=`). Every interval it sends the whole fleet once, serialized once
 * and published through uWS pub/sub, whose per-socket backpressure limit
 * skips a slow client's frames rather than queueing them: the rate is bounded
 * by the interval, the memory by the limit, whatever the number of clients.
 */
export function registerFleetSocket(app: uWS.TemplatedApp, o: FleetSocketOptions): FleetSocket {
  const sockets = new Set<uWS.WebSocket<Beating>>()
  const expected = o.apiKey === null ? null : digest(o.apiKey)

  app.ws<Beating>('/v1/fleet', {
    compression: uWS.DISABLED,
    maxPayloadLength: 1024,
    maxBackpressure: MAX_BACKPRESSURE,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    upgrade(res, req, context) {
      res.onAborted(() => {})
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.getHeader('authorization'))
      const given = m?.[1] ?? req.getQuery('apiKey') ?? ''
      if (expected !== null && !timingSafeEqual(digest(given), expected)) {
        o.logger?.debug('fleet socket refused: bad or missing API key')
        o.onRefused?.()
        res.cork(() => {
          res
            .writeStatus('401 Unauthorized')
            .writeHeader('content-type', 'text/plain')
            .end(given ? 'the API key is not valid\n' : 'the fleet stream needs "Authorization: Bearer <api key>" or ?apiKey=\n', true)
        })
        return
      }
      const key = req.getHeader('sec-websocket-key')
      const protocol = req.getHeader('sec-websocket-protocol')
      const extensions = req.getHeader('sec-websocket-extensions')
      res.cork(() => res.upgrade<Beating>({ alive: true }, key, protocol, extensions, context))
    },
    open(ws) {
      sockets.add(ws)
      ws.send(frame(o), false)
      ws.subscribe(TOPIC)
    },
    pong(ws) {
      ws.getUserData().alive = true
    },
    close(ws) {
      sockets.delete(ws)
    },
  })

  const timer = setInterval(() => {
    // Nobody watching: do not even read the fleet.
    if (sockets.size === 0) return
    try {
      app.publish(TOPIC, frame(o), false)
    } catch (err) {
      o.logger?.error({ err }, 'fleet frame failed')
    }
  }, o.intervalMs)
  timer.unref()

  return {
    clients: () => sockets.size,
    sockets: () => sockets,
    close() {
      clearInterval(timer)
      for (const ws of [...sockets]) ws.end(1001, 'server shutting down')
    },
  }
}

function frame(o: FleetSocketOptions): string {
  const drones: FleetDrone[] = o.engine.drones().map((d) => {
    const f: FleetDrone = {
      id: d.id,
      lat: d.lat,
      lon: d.lon,
      alt: d.alt,
      heading: d.heading,
      speed: d.speed,
      battery: d.battery,
      state: d.state,
      deliveryId: d.deliveryId,
      lastSeen: d.lastSeen,
    }
    // Only when true: a healthy fleet's frame does not grow by a field per drone.
    if (d.lost) f.lost = true
    return f
  })
  return JSON.stringify({ type: 'fleet', ts: o.now(), drones } satisfies FleetMessage)
}
