import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { VERSION } from '../protocol/version.js'
import type { LatLon } from '../protocol/geo.js'
import type { Topics } from '../protocol/topics.js'
import { MemoryStore } from '../store/MemoryStore.js'
import type { Store } from '../store/Store.js'
import { bearerAuth } from './bearerAuth.js'
import { DeliveryBook } from './DeliveryBook.js'
import { findDelivery } from './findDelivery.js'
import { resolveGatewayOptions, type GatewayTunables } from './gatewayOptions.js'
import type { EngineView } from './EngineView.js'
import { IngestLimiter } from './IngestLimiter.js'
import { createMetrics } from './metrics.js'
import { registerOpenApi } from './openApi.js'
import { subscribeReadModel } from './readModel/subscribeReadModel.js'
import { problem, schemaErrorFormatter, sendProblem } from './problem.js'
import { registerDeliveryRoutes } from './routes/deliveries.js'
import { registerZoneRoutes } from './routes/zones.js'
import { registerDroneRoutes } from './routes/drones.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerFavicon } from './routes/favicon.js'
import { registerLandingPage } from './routes/landingPage.js'
import { registerOperatorMap } from './routes/operatorMap.js'
import { registerTrackingPage } from './routes/trackingPage.js'
import { startTrackingSocket, type TrackingSocket } from './trackingSocket.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import { registerBoundedJson } from './boundedJson.js'
import { requestLogSerializer } from './requestLogSerializer.js'
import { registerBrokerMetrics, type BrokerRefusalCounts } from './brokerMetrics.js'

/** The gateway's links and logger; its tunables, with their defaults, are GatewayTunables (gatewayOptions.ts). */
export interface GatewayOptions extends GatewayTunables {
  /** An already-connected client; the gateway subscribes to events and tracking on it. */
  mqtt: BrokerLink
  topics: Topics
  engine: EngineView
  logger?: Logger | false
  /**
   * The durable store: POST commits there before answering, reads come from
   * it. Without one the gateway keeps its own in memory (closed with it).
   */
  store?: Store
  /** The embedded broker's refusal counts, for /metrics (absent on an external broker). */
  brokerRefusals?: () => BrokerRefusalCounts
  /**
   * The region of a pickup, whose engine takes the request (on its region's
   * `requests` topic); undefined outside every region (422). Default: every
   * request goes to the topics' own region.
   */
  regionOf?: (p: LatLon) => string | undefined
  /** Every region, for what all engines must hear (zones). Default: the topics' own. */
  regions?: readonly string[]
}

export interface Gateway {
  /** Where the gateway listens. */
  httpUrl: string
  wsUrl: string
  /** Where clients reach it (publicUrl, publicWsUrl), which the links it returns start with; the listening URLs without them. */
  publicHttpUrl: string
  publicWsUrl: string
  httpPort: number
  wsPort: number
  metrics: Registry
  close(): Promise<void>
}

/** URLs must name a host a client can dial, not a wildcard bind address. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const o = resolveGatewayOptions(options)
  const host = o.host
  const now = o.now
  // Request logs never show a tracking token or an API key from a URL.
  const log = o.logger ? o.logger.child({}, { serializers: { req: requestLogSerializer } }) : undefined
  const { topics, mqtt } = o
  const book = new DeliveryBook({ now })
  const ownStore = o.store === undefined
  const store: Store = o.store ?? new MemoryStore({ now })
  let socket: TrackingSocket | undefined
  const limiter = new IngestLimiter({ maxPending: o.maxPendingRequests, now })
  const metrics = createMetrics({ stats: () => o.engine.stats(), ws: () => socket, pending: () => limiter.size })
  registerBrokerMetrics(metrics.registry, { link: mqtt, refusals: o.brokerRefusals, upgradesRefused: () => socket?.upgradesRefused() ?? 0 })

  // The read model: what the engine says about deliveries, into the book.
  const readModel = await subscribeReadModel(mqtt, topics, { book, limiter, metrics, now, logger: log })

  const app: FastifyInstance = Fastify({
    // Widened to fastify's logger type so the instance (and route plugins) stay FastifyInstance.
    ...(log ? { loggerInstance: log as FastifyBaseLogger } : { logger: false }),
    bodyLimit: 16 * 1024,
    forceCloseConnections: true,
    schemaErrorFormatter,
    // What fastify refuses before routing (a path parameter over 100 characters: 414, a malformed URL) is a problem too.
    frameworkErrors: (err, request, reply) => sendProblem(err, request, reply),
    // Strict validation: no type coercion ("5" is not a weight), no silent dropping of unknown
    // properties (additionalProperties:false must refuse), every bad field reported with its value.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, verbose: true } },
  })
  app.setErrorHandler(sendProblem)
  registerBoundedJson(app)
  app.setNotFoundHandler((request, reply) => {
    const p = problem(ErrorCodes.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(p.status).type('application/problem+json').send(p)
  })
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern (/v1/deliveries/:id), never the raw URL: one series per route, and no ids or tokens in labels.
    const route = request.routeOptions.url ?? 'unmatched'
    const status = String(reply.statusCode)
    metrics.httpRequests.inc({ route, status })
    metrics.httpDuration.observe({ method: request.method, route, status }, reply.elapsedTime / 1000)
  })

  let wsUrl = ''
  let httpUrl = ''
  let wsPort = 0
  const publicHttpUrl = (): string => o.publicUrls.http ?? httpUrl
  const publicWsUrl = (): string => o.publicUrls.ws ?? wsUrl
  const auth = bearerAuth(o.apiKey)
  await registerOpenApi(app, { version: VERSION })
  registerHealthRoutes(app, { mqtt, registry: metrics.registry, stats: () => o.engine.stats(), maxEngineLagMs: o.maxEngineLagMs })
  registerDroneRoutes(app, { engine: o.engine, auth })
  registerZoneRoutes(app, {
    mqtt,
    topics,
    engine: o.engine,
    auth,
    publishTimeoutMs: o.publishTimeoutMs,
    regions: o.regions ?? [topics.region],
  })
  registerDeliveryRoutes(app, {
    mqtt,
    topics,
    book,
    store,
    metrics,
    auth,
    limiter,
    engine: o.engine,
    regionOf: o.regionOf,
    logger: log,
    trackingSecret: o.trackingSecret,
    trackingTokenTtlS: o.trackingTokenTtlS,
    now,
    wsUrl: () => publicWsUrl(),
    httpUrl: () => publicHttpUrl(),
    publishTimeoutMs: o.publishTimeoutMs,
  })
  const wsBase = o.publicUrls.ws ?? null
  registerTrackingPage(app, { book, store, trackingSecret: o.trackingSecret, now, wsPort: () => wsPort, wsBase, basemap: o.basemap })
  registerOperatorMap(app, { wsPort: () => wsPort, wsBase, basemap: o.basemap })
  registerLandingPage(app, { version: VERSION })
  registerFavicon(app)

  try {
    await app.listen({ port: o.httpPort, host })
  } catch (err) {
    await app.close().catch(() => {})
    await readModel.close()
    if (ownStore) await store.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new DronefleetError(
        ErrorCodes.PORT_IN_USE,
        `port ${o.httpPort} is already in use; choose another with --http-port`,
        '--http-port',
        o.httpPort,
      )
    }
    throw err
  }
  const httpPort = (app.server.address() as AddressInfo).port

  try {
    socket = await startTrackingSocket({
      host,
      port: o.wsPort,
      book,
      find: async (id) => (await findDelivery(book, store, id)) !== undefined,
      trackingSecret: o.trackingSecret,
      now,
      logger: log,
      engine: o.engine,
      apiKey: o.apiKey,
      heartbeatMs: o.heartbeatMs,
      fleetIntervalMs: o.fleetIntervalMs,
      coalesceAboveBytes: o.coalesceAboveBytes,
      onTrackingSent: (receivedAt) => metrics.pipelineLatency.observe(Math.max(0, now() - receivedAt) / 1000),
    })
  } catch (err) {
    await app.close().catch(() => {})
    await readModel.close()
    if (ownStore) await store.close()
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
    publicHttpUrl: publicHttpUrl(),
    publicWsUrl: publicWsUrl(),
    httpPort,
    wsPort: ws.port,
    metrics: metrics.registry,
    close() {
      closing ??= (async () => {
        ws.close()
        await app.close()
        await readModel.close()
        if (ownStore) await store.close()
      })()
      return closing
    },
  }
}
