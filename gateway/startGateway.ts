import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { decodeDeliveryEvent, type DeliveryEvent } from '../protocol/events.js'
import type { Topics } from '../protocol/topics.js'
import { decodeTracking } from '../protocol/tracking.js'
import { bearerAuth } from './bearerAuth.js'
import { DeliveryBook } from './DeliveryBook.js'
import type { EngineView } from './EngineView.js'
import { IngestLimiter } from './IngestLimiter.js'
import { createMetrics } from './metrics.js'
import { registerOpenApi } from './openApi.js'
import { problem, schemaErrorFormatter, sendProblem } from './problem.js'
import { registerDeliveryRoutes } from './routes/deliveries.js'
import { registerZoneRoutes } from './routes/zones.js'
import { registerDroneRoutes } from './routes/drones.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerTrackingPage } from './routes/trackingPage.js'
import { startTrackingSocket, type TrackingSocket } from './trackingSocket.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'

export interface GatewayOptions {
  /** An already-connected client; the gateway subscribes to events and tracking on it. */
  mqtt: BrokerLink
  topics: Topics
  engine: EngineView
  /** Default 127.0.0.1. */
  host?: string
  /** 0 picks a free port. */
  httpPort: number
  wsPort: number
  /** When set, operator routes need `Authorization: Bearer <key>`; /healthz, /readyz, /metrics stay open. */
  apiKey: string | null
  /** HMAC key for tracking tokens; every gateway that must accept a token needs the same one. */
  trackingSecret: Buffer
  /** Default 24 h. */
  trackingTokenTtlS?: number
  /** Wall clock, ms since the epoch. Default Date.now. */
  now?: () => number
  logger?: Logger | false
  /** How long POST/DELETE wait for the broker's PUBACK before answering 503. Default 5000. */
  publishTimeoutMs?: number
  /** Delivery requests that may wait for the engine's DeliveryCreated before POST answers 503. Default 1000. */
  maxPendingRequests?: number
  /** /readyz fails while the engine lags more than this. Default 5000 ms. */
  maxEngineLagMs?: number
  /** WebSocket ping interval; a client that misses a pong is closed. Default 30 s, 0 disables. */
  heartbeatMs?: number
  /** How often /v1/fleet sends the fleet. Default 1000 ms. */
  fleetIntervalMs?: number
  /** A tracking client with more unsent bytes than this gets only the newest tracking message. Default 64 KiB. */
  coalesceAboveBytes?: number
}

export interface Gateway {
  httpUrl: string
  wsUrl: string
  httpPort: number
  wsPort: number
  metrics: Registry
  close(): Promise<void>
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** URLs must name a host a client can dial, not a wildcard bind address. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const host = o.host ?? '127.0.0.1'
  const now = o.now ?? Date.now
  const log = o.logger || undefined
  const { topics, mqtt } = o
  const book = new DeliveryBook({ now })
  let socket: TrackingSocket | undefined
  const limiter = new IngestLimiter({ maxPending: o.maxPendingRequests ?? 1000, now })
  const metrics = createMetrics({ stats: () => o.engine.stats(), ws: () => socket, pending: () => limiter.size })

  /** Side effects of an event before the book applies it: the ingestion window and assignment latency. */
  const observe = (e: DeliveryEvent): void => {
    if (e.type === 'DeliveryCreated') limiter.release(e.deliveryId)
    else if (e.type === 'DroneAssigned') {
      const before = book.get(e.deliveryId)
      // The first assignment only: a reassignment measures something else.
      if (before && before.status === 'Created') metrics.assignmentLatency.observe(Math.max(0, now() - before.createdAt) / 1000)
    }
  }

  // The read model: everything the engine says about deliveries. Bad payloads are logged and dropped, never thrown.
  const onMessage = (topic: string, payload: Buffer): void => {
    const id = topics.deliveryIdOf(topic)
    if (id === undefined) return
    try {
      if (topic === topics.deliveryEvents(id)) {
        const e = decodeDeliveryEvent(payload)
        if (e && e.deliveryId === id) {
          observe(e)
          book.apply(e)
        }
        else log?.warn({ topic }, 'ignored a payload that is not a delivery event for this topic')
      } else if (topic === topics.tracking(id)) {
        const m = decodeTracking(payload)
        if (m && m.deliveryId === id) book.applyTracking(m)
        else log?.warn({ topic }, 'ignored a payload that is not a tracking message for this topic')
      }
    } catch (err) {
      log?.error({ err, topic }, 'failed to apply a delivery message')
    }
  }
  const subscriptions = [topics.deliveryEventsAll, topics.trackingAll]
  mqtt.on('message', onMessage)
  // Events at QoS 1 (a lost status change is wrong forever); tracking at QoS 0 (the next position supersedes it).
  await mqtt.subscribeAsync({ [topics.deliveryEventsAll]: { qos: 1 }, [topics.trackingAll]: { qos: 0 } })

  const app: FastifyInstance = Fastify({
    // Widened to fastify's logger type so the instance (and route plugins) stay FastifyInstance.
    ...(log ? { loggerInstance: log as FastifyBaseLogger } : { logger: false }),
    bodyLimit: 16 * 1024,
    forceCloseConnections: true,
    schemaErrorFormatter,
    // Strict validation: no type coercion ("5" is not a weight), no silent dropping of unknown
    // properties (additionalProperties:false must refuse), every bad field reported with its value.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, verbose: true } },
  })
  app.setErrorHandler(sendProblem)
  app.setNotFoundHandler((request, reply) => {
    const p = problem(404, ErrorCodes.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(404).type('application/problem+json').send(p)
  })
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) })
  })

  let wsUrl = ''
  let httpUrl = ''
  let wsPort = 0
  const auth = bearerAuth(o.apiKey)
  await registerOpenApi(app, { version: VERSION })
  registerHealthRoutes(app, { mqtt, registry: metrics.registry, stats: () => o.engine.stats(), maxEngineLagMs: o.maxEngineLagMs ?? 5000 })
  registerDroneRoutes(app, { engine: o.engine, auth })
  registerZoneRoutes(app, { mqtt, topics, engine: o.engine, auth, publishTimeoutMs: o.publishTimeoutMs ?? 5000 })
  registerDeliveryRoutes(app, {
    mqtt, topics, book, metrics, auth, limiter, engine: o.engine,
    trackingSecret: o.trackingSecret,
    trackingTokenTtlS: o.trackingTokenTtlS ?? 24 * 3600,
    now,
    wsUrl: () => wsUrl,
    httpUrl: () => httpUrl,
    publishTimeoutMs: o.publishTimeoutMs ?? 5000,
  })
  registerTrackingPage(app, { book, trackingSecret: o.trackingSecret, now, wsPort: () => wsPort })

  const detach = async (): Promise<void> => {
    mqtt.off('message', onMessage)
    // Only when connected: MQTT.js would queue the UNSUBSCRIBE and the promise would wait for a reconnect.
    if (mqtt.connected) await mqtt.unsubscribeAsync(subscriptions).catch(() => {})
  }

  try {
    await app.listen({ port: o.httpPort, host })
  } catch (err) {
    await app.close().catch(() => {})
    await detach()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new DronefleetError(ErrorCodes.PORT_IN_USE, `port ${o.httpPort} is already in use; choose another with --http-port`, '--http-port', o.httpPort)
    }
    throw err
  }
  const httpPort = (app.server.address() as AddressInfo).port

  try {
    socket = await startTrackingSocket({
      host, port: o.wsPort, book, trackingSecret: o.trackingSecret, now, logger: log, engine: o.engine, apiKey: o.apiKey,
      heartbeatMs: o.heartbeatMs, fleetIntervalMs: o.fleetIntervalMs, coalesceAboveBytes: o.coalesceAboveBytes,
      onTrackingSent: (ts) => metrics.pipelineLatency.observe(Math.max(0, now() - ts) / 1000),
    })
  } catch (err) {
    await app.close().catch(() => {})
    await detach()
    throw err
  }
  wsPort = socket.port
  wsUrl = `ws://${urlHost(host)}:${socket.port}`
  httpUrl = `http://${urlHost(host)}:${httpPort}`
  log?.info({ httpUrl, wsUrl }, 'gateway listening')

  let closing: Promise<void> | undefined
  const ws = socket
  return {
    httpUrl,
    wsUrl,
    httpPort,
    wsPort: ws.port,
    metrics: metrics.registry,
    close() {
      closing ??= (async () => {
        ws.close()
        await app.close()
        await detach()
      })()
      return closing
    },
  }
}
