import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import { createHash, randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ErrorCodes } from '../../protocol/errors.js'
import { isTerminal } from '../../protocol/events.js'
import type { DeliveryRequest } from '../../protocol/requests.js'
import type { Topics } from '../../protocol/topics.js'
import {
  Accepted, CancelRequested, CreateDeliveryBody, DeliveryDetail, DeliveryStatus, DeliverySummary, IdParams, Problem, RescheduleBody,
  RescheduleRequested,
} from '../apiSchemas.js'
import type { LatLon } from '../../protocol/geo.js'
import type { AuthHook } from '../bearerAuth.js'
import type { DeliveryBook } from '../DeliveryBook.js'
import { noFlyProblems, type EngineView } from '../EngineView.js'
import { IdempotencyCache, type StoredResponse } from '../IdempotencyCache.js'
import type { IngestLimiter } from '../IngestLimiter.js'
import type { GatewayMetrics } from '../metrics.js'
import { PageOf, PageQueryProps, pageRequest, paginate } from '../paginate.js'
import { ProblemError } from '../problem.js'
import { publishRequest } from '../publishRequest.js'
import { signTrackingToken } from '../trackingToken.js'
import type { BrokerLink } from '../../protocol/BrokerLink.js'

const CancelQuery = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 200 })) })
const ListQuery = Type.Object({ status: Type.Optional(DeliveryStatus), ...PageQueryProps }, { additionalProperties: false })
const problems = { 400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem }
const tags = ['deliveries']
const security = [{ apiKey: [] }]

export interface DeliveryRoutesDeps {
  mqtt: BrokerLink
  topics: Topics
  book: DeliveryBook
  metrics: GatewayMetrics
  auth: AuthHook
  trackingSecret: Buffer
  trackingTokenTtlS: number
  now: () => number
  /** The public WebSocket base URL, known only once the socket listens. */
  wsUrl: () => string
  /** The public HTTP base URL, for links to the tracking page. */
  httpUrl: () => string
  /** How long to wait for the broker's PUBACK before answering 503. */
  publishTimeoutMs: number
  /** Requests published but not yet seen as DeliveryCreated: the engine's backlog. */
  limiter: IngestLimiter
  /** Read for no-fly zones, so a request into one is refused at ingestion. */
  engine: EngineView
}

/** 422 naming each point that lies in a no-fly zone; nothing when none does. */
function refuseNoFly(engine: EngineView, points: Record<string, LatLon | undefined>): void {
  const problems = noFlyProblems(engine, points)
  if (problems.length === 0) return
  throw new ProblemError(422, ErrorCodes.REQUEST_INVALID, problems.map((p) => `${p.field} ${p.message}`).join('; '), problems)
}

const notFound = (id: string): ProblemError => new ProblemError(404, ErrorCodes.NOT_FOUND, `no delivery with id ${JSON.stringify(id)}`)


function deadlineMs(v: CreateDeliveryBody['deadline'] | RescheduleBody['deadline']): number | null {
  if (v === undefined || v === null) return null
  return typeof v === 'number' ? v : Date.parse(v)
}

export function registerDeliveryRoutes(app: FastifyInstance, d: DeliveryRoutesDeps): void {
  const idempotency = new IdempotencyCache()

  async function create(body: CreateDeliveryBody): Promise<StoredResponse> {
    refuseNoFly(d.engine, { pickup: body.pickup, dropoff: body.dropoff })
    const id = `del-${randomBytes(10).toString('hex')}`
    // Refused before publishing: a full window means the engine has not caught up with what it already has.
    if (!d.limiter.tryAcquire(id)) {
      d.metrics.deliveriesShed.inc()
      throw new ProblemError(503, ErrorCodes.OVERLOADED,
        `the engine is behind (${d.limiter.size} requests waiting, limit ${d.limiter.limit}); retry shortly`, undefined, { 'retry-after': '1' })
    }
    const accepted = { id, pickup: body.pickup, dropoff: body.dropoff, weightKg: body.weightKg, deadline: deadlineMs(body.deadline) }
    try {
      await publishRequest(d, { type: 'CreateDelivery', ...accepted })
    } catch (err) {
      d.limiter.release(id)
      throw err
    }
    const snapshot = d.book.accept(accepted)
    d.metrics.deliveriesAccepted.inc()
    const trackingToken = signTrackingToken(d.trackingSecret, id, d.now() + d.trackingTokenTtlS * 1000)
    const q = `${encodeURIComponent(id)}?token=${encodeURIComponent(trackingToken)}`
    return {
      status: 202,
      body: { id, status: snapshot.status, trackingToken, trackingUrl: `${d.wsUrl()}/v1/track/${q}`, trackingPage: `${d.httpUrl()}/track/${q}` },
    }
  }

  app.post<{ Body: CreateDeliveryBody }>('/v1/deliveries', {
    onRequest: d.auth,
    schema: {
      summary: 'Schedule a delivery',
      description: 'Answers 202 once the broker has acknowledged the request (QoS 1); 503 with Retry-After when the broker is unreachable or the engine is behind. ' +
        'An Idempotency-Key makes retries safe: the same key and body return the same delivery.',
      tags, security,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
      body: CreateDeliveryBody,
      response: { 202: Accepted, ...problems },
    },
  }, async (request, reply) => {
    const key = request.headers['idempotency-key']
    let response: StoredResponse
    if (key === undefined) {
      response = await create(request.body)
    } else {
      if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
        throw new ProblemError(400, ErrorCodes.REQUEST_INVALID, 'Idempotency-Key must be 1-255 characters', [
          { field: 'Idempotency-Key', value: key, message: 'must be 1-255 characters' },
        ])
      }
      const fingerprint = createHash('sha256').update(JSON.stringify(request.body)).digest('base64url')
      const result = await idempotency.run(key, fingerprint, () => create(request.body))
      if (result.kind === 'conflict') {
        throw new ProblemError(422, ErrorCodes.REQUEST_INVALID, 'this Idempotency-Key was already used with a different request body')
      }
      if (result.kind === 'replay') reply.header('idempotent-replayed', 'true')
      response = result.response
    }
    const { id } = response.body as { id: string }
    return reply.code(response.status).header('location', `/v1/deliveries/${encodeURIComponent(id)}`).send(response.body)
  })

  app.get<{ Querystring: Static<typeof ListQuery> }>('/v1/deliveries', {
    onRequest: d.auth,
    schema: {
      summary: 'List deliveries, newest first',
      description: 'Cursor pagination: pass the nextCursor of a page as ?cursor= for the next one; it is null on the last page.',
      tags, security, querystring: ListQuery, response: { 200: PageOf(DeliverySummary), ...problems },
    },
  }, async (request) => {
    const page = paginate(d.book.list(request.query.status), (x) => x.key, pageRequest(request.query), (a, b) => (a > b ? -1 : a < b ? 1 : 0))
    return { items: page.items.map((x) => x.delivery), nextCursor: page.nextCursor }
  })

  app.get<{ Params: IdParams }>('/v1/deliveries/:id', {
    onRequest: d.auth,
    schema: { summary: 'A delivery: status, drone, last position, ETA and event history', tags, security, params: IdParams, response: { 200: DeliveryDetail, ...problems } },
  }, async (request) => {
    const snapshot = d.book.get(request.params.id)
    if (!snapshot) throw notFound(request.params.id)
    return snapshot
  })

  app.patch<{ Params: IdParams; Body: RescheduleBody }>('/v1/deliveries/:id', {
    onRequest: d.auth,
    schema: {
      summary: 'Reschedule a delivery: a new drop-off, a new deadline, or both',
      description: 'Accepted, not done: the engine re-plans, and DeliveryRescheduled (or DeliveryFailed, when the new plan is impossible) follows.',
      tags, security, params: IdParams, body: RescheduleBody, response: { 202: RescheduleRequested, ...problems },
    },
  }, async (request, reply) => {
    const { id } = request.params
    const snapshot = d.book.get(id)
    if (!snapshot) throw notFound(id)
    if (isTerminal(snapshot.status)) {
      throw new ProblemError(409, ErrorCodes.REQUEST_INVALID, `delivery ${id} is already ${snapshot.status} and cannot be rescheduled`)
    }
    const { dropoff, deadline } = request.body
    refuseNoFly(d.engine, { dropoff })
    await publishRequest(d, {
      type: 'RescheduleDelivery', id,
      ...(dropoff !== undefined ? { dropoff } : {}),
      ...(deadline !== undefined ? { deadline: deadlineMs(deadline) } : {}),
    })
    return reply.code(202).send({ id, status: snapshot.status, rescheduleRequested: true })
  })

  app.delete<{ Params: IdParams; Querystring: Static<typeof CancelQuery> }>('/v1/deliveries/:id', {
    onRequest: d.auth,
    schema: {
      summary: 'Cancel a delivery',
      description: 'Accepted, not done: DeliveryCancelled follows on the events topic and the tracking socket.',
      tags, security, params: IdParams, querystring: CancelQuery, response: { 202: CancelRequested, ...problems },
    },
  }, async (request, reply) => {
    const { id } = request.params
    const snapshot = d.book.get(id)
    if (!snapshot) throw notFound(id)
    if (isTerminal(snapshot.status)) {
      throw new ProblemError(409, ErrorCodes.REQUEST_INVALID, `delivery ${id} is already ${snapshot.status} and cannot be cancelled`)
    }
    await publishRequest(d, { type: 'CancelDelivery', id, reason: request.query.reason ?? 'cancelled by operator' })
    return reply.code(202).send({ id, status: snapshot.status, cancelRequested: true })
  })
}
