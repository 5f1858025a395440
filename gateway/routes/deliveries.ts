import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import { createHash } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ErrorCodes } from '../../protocol/errors.js'
import { isTerminal } from '../../protocol/events.js'
import {
  Accepted,
  CancelRequested,
  CreateDeliveryBody,
  DeliveryDetail,
  DeliveryStatus,
  DeliverySummary,
  IdParams,
  Problem,
  RescheduleBody,
  RescheduleRequested,
  TrackingLinkIssued,
} from '../apiSchemas.js'
import type { AuthHook } from '../bearerAuth.js'
import { createDelivery, type CreateDeliveryDeps } from '../createDelivery.js'
import { deadlineMs } from '../deadlineMs.js'
import { findDelivery } from '../findDelivery.js'
import { listDeliveries } from '../listDeliveries.js'
import { encodeCursor, PageOf, PageQueryProps, pageRequest } from '../paginate.js'
import { ProblemError } from '../problem.js'
import { publishRequest } from '../publishRequest.js'
import { refuseNoFly } from '../refuseNoFly.js'
import type { DeliveryRequest } from '../../protocol/requests.js'
import type { DeliveryChange } from '../../store/Store.js'
import { trackingLink } from '../trackingLink.js'

const CancelQuery = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 200 })) })
const ListQuery = Type.Object({ status: Type.Optional(DeliveryStatus), ...PageQueryProps }, { additionalProperties: false })
const problems = { 400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem }
const tags = ['deliveries']
const security = [{ apiKey: [] }]

/** What creating a delivery needs (see createDelivery), plus the operator auth; reschedule and cancel use the same. */
export interface DeliveryRoutesDeps extends CreateDeliveryDeps {
  auth: AuthHook
}

const notFound = (id: string): ProblemError => new ProblemError(ErrorCodes.NOT_FOUND, `no delivery with id ${JSON.stringify(id)}`)

export function registerDeliveryRoutes(app: FastifyInstance, d: DeliveryRoutesDeps): void {
  app.post<{ Body: CreateDeliveryBody }>(
    '/v1/deliveries',
    {
      onRequest: d.auth,
      schema: {
        summary: 'Schedule a delivery',
        description:
          'Answers 202 once the broker has acknowledged the request (QoS 1); 503 with Retry-After when the broker is unreachable or the engine is behind. ' +
          'An Idempotency-Key makes retries safe: the same key and body return the same delivery.',
        tags,
        security,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
        body: CreateDeliveryBody,
        response: { 202: Accepted, ...problems },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      let idempotency: { key: string; fingerprint: string } | null = null
      if (key !== undefined) {
        if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
          throw new ProblemError(ErrorCodes.REQUEST_INVALID, 'Idempotency-Key must be 1-255 characters', {
            errors: [{ field: 'Idempotency-Key', value: key, message: 'must be 1-255 characters' }],
          })
        }
        idempotency = { key, fingerprint: createHash('sha256').update(JSON.stringify(request.body)).digest('base64url') }
      }
      const response = await createDelivery(d, request.body, idempotency)
      if (response.replayed) reply.header('idempotent-replayed', 'true')
      return reply
        .code(202)
        .header('location', `/v1/deliveries/${encodeURIComponent(response.body.id)}`)
        .send(response.body)
    },
  )

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/deliveries',
    {
      onRequest: d.auth,
      schema: {
        summary: 'List deliveries, newest first',
        description: 'Cursor pagination: pass the nextCursor of a page as ?cursor= for the next one; it is null on the last page.',
        tags,
        security,
        querystring: ListQuery,
        response: { 200: PageOf(DeliverySummary), ...problems },
      },
    },
    async (request) => {
      // From the store: every delivery ever accepted, before the engine has it and after a restart.
      const { limit, after } = pageRequest(request.query)
      if (after !== undefined && !/^[0-9]{1,15}$/.test(after)) {
        throw new ProblemError(
          ErrorCodes.REQUEST_INVALID,
          `querystring /cursor is not a cursor this API returned, got ${JSON.stringify(request.query.cursor)}`,
          { errors: [{ field: '/cursor', value: request.query.cursor, message: 'is not a cursor this API returned' }] },
        )
      }
      const page = await listDeliveries(d.store, d.book, { limit, after, status: request.query.status })
      return {
        // The summary schema leaves out a live delivery's history.
        items: page.items,
        nextCursor: page.next === null ? null : encodeCursor(page.next),
      }
    },
  )

  app.get<{ Params: IdParams }>(
    '/v1/deliveries/:id',
    {
      onRequest: d.auth,
      schema: {
        summary: 'A delivery: status, drone, last position, ETA and event history',
        tags,
        security,
        params: IdParams,
        response: { 200: DeliveryDetail, ...problems },
      },
    },
    async (request) => {
      const snapshot = await findDelivery(d.book, d.store, request.params.id)
      if (!snapshot) throw notFound(request.params.id)
      return snapshot
    },
  )

  app.patch<{ Params: IdParams; Body: RescheduleBody }>(
    '/v1/deliveries/:id',
    {
      onRequest: d.auth,
      schema: {
        summary: 'Reschedule a delivery: a new drop-off, a new deadline, or both',
        description:
          'Accepted, not done: the engine re-plans, and DeliveryRescheduled (or DeliveryFailed, when the new plan is impossible) follows.',
        tags,
        security,
        params: IdParams,
        body: RescheduleBody,
        response: { 202: RescheduleRequested, ...problems },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const snapshot = await findDelivery(d.book, d.store, id)
      if (!snapshot) throw notFound(id)
      if (isTerminal(snapshot.status)) {
        throw new ProblemError(ErrorCodes.CONFLICT, `delivery ${id} is already ${snapshot.status} and cannot be rescheduled`)
      }
      const { dropoff, deadline } = request.body
      refuseNoFly(d.engine, { dropoff })
      const change = {
        ...(dropoff !== undefined ? { dropoff } : {}),
        ...(deadline !== undefined ? { deadline: deadlineMs(deadline) } : {}),
      }
      await requestChange(d, id, change, 'rescheduled', { type: 'RescheduleDelivery', id, ...change })
      return reply.code(202).send({ id, status: snapshot.status, rescheduleRequested: true })
    },
  )

  app.delete<{ Params: IdParams; Querystring: Static<typeof CancelQuery> }>(
    '/v1/deliveries/:id',
    {
      onRequest: d.auth,
      schema: {
        summary: 'Cancel a delivery',
        description: 'Accepted, not done: DeliveryCancelled follows on the events topic and the tracking socket.',
        tags,
        security,
        params: IdParams,
        querystring: CancelQuery,
        response: { 202: CancelRequested, ...problems },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const snapshot = await findDelivery(d.book, d.store, id)
      if (!snapshot) throw notFound(id)
      if (isTerminal(snapshot.status)) {
        throw new ProblemError(ErrorCodes.CONFLICT, `delivery ${id} is already ${snapshot.status} and cannot be cancelled`)
      }
      const reason = request.query.reason ?? 'cancelled by operator'
      await requestChange(d, id, { cancel: reason }, 'cancelled', { type: 'CancelDelivery', id, reason })
      return reply.code(202).send({ id, status: snapshot.status, cancelRequested: true })
    },
  )

  app.post<{ Params: IdParams }>(
    '/v1/deliveries/:id/tracking-link',
    {
      onRequest: d.auth,
      schema: {
        summary: 'Issue a tracking link for an existing delivery',
        description:
          'For deliveries whose creator never passed the link on (a simulator, an import) or whose link has expired: a new token, ' +
          "valid for the gateway's token lifetime (24 h by default) from now, with the tracking page and WebSocket URLs it opens. " +
          'Earlier links stay valid until they expire. An ended delivery gets one too: its page shows how it ended.',
        tags,
        security,
        params: IdParams,
        response: { 200: TrackingLinkIssued, ...problems },
      },
    },
    async (request) => {
      const { id } = request.params
      const snapshot = await findDelivery(d.book, d.store, id)
      if (!snapshot) throw notFound(id)
      const link = trackingLink(
        { trackingSecret: d.trackingSecret, httpUrl: d.httpUrl(), wsUrl: d.wsUrl() },
        id,
        d.now() + d.trackingTokenTtlS * 1000,
      )
      return { id, status: snapshot.status, ...link }
    },
  )
}

/**
 * A cancel or reschedule is committed to the store before its 202, then
 * handed to the engine; one the broker did not take is still accepted: the
 * engine applies it from the store (its sweep, or its next start).
 */
async function requestChange(d: DeliveryRoutesDeps, id: string, change: DeliveryChange, verb: string, req: DeliveryRequest): Promise<void> {
  const result = await d.store.requestChange(id, change)
  if (!result) throw notFound(id)
  if (result.kind === 'ended')
    throw new ProblemError(ErrorCodes.CONFLICT, `delivery ${id} is already ${result.delivery.status} and cannot be ${verb}`)
  try {
    await publishRequest(d, req, result.delivery.region)
  } catch (err) {
    d.logger?.warn({ id, err: (err as Error).message }, 'accepted change not handed to the engine; it is applied from the store')
  }
}
