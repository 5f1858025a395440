import { createHash, randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { MqttClient } from 'mqtt'
import { ErrorCodes } from '../../protocol/errors.js'
import { isTerminal } from '../../protocol/events.js'
import type { DeliveryRequest } from '../../protocol/requests.js'
import type { Topics } from '../../protocol/topics.js'
import type { AuthHook } from '../bearerAuth.js'
import type { DeliveryBook } from '../DeliveryBook.js'
import { IdempotencyCache, type StoredResponse } from '../IdempotencyCache.js'
import type { GatewayMetrics } from '../metrics.js'
import { ProblemError } from '../problem.js'
import { signTrackingToken } from '../trackingToken.js'

const LatLon = Type.Object(
  { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
)

export const CreateDeliveryBody = Type.Object(
  {
    pickup: LatLon,
    dropoff: LatLon,
    weightKg: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    deadline: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Number({ minimum: 0, maximum: 8.64e15 }), Type.Null()], {
        description: 'must be an ISO 8601 date-time with a time zone, or ms since the epoch',
      }),
    ),
  },
  { additionalProperties: false },
)
export type CreateDeliveryBody = Static<typeof CreateDeliveryBody>

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
type IdParams = Static<typeof IdParams>
const CancelQuery = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 200 })) })

export interface DeliveryRoutesDeps {
  mqtt: MqttClient
  topics: Topics
  book: DeliveryBook
  metrics: GatewayMetrics
  auth: AuthHook
  trackingSecret: Buffer
  trackingTokenTtlS: number
  now: () => number
  /** The public WebSocket base URL, known only once the socket listens. */
  wsUrl: () => string
  /** How long to wait for the broker's PUBACK before answering 503. */
  publishTimeoutMs: number
}

const unavailable = (detail: string): ProblemError =>
  new ProblemError(503, ErrorCodes.BROKER_UNAVAILABLE, detail, undefined, { 'retry-after': '1' })

/**
 * Hands a request to the engine: QoS 1, and only once the broker has
 * acknowledged it. MQTT.js would silently queue a publish while disconnected,
 * so a disconnected client is refused up front instead of hanging the caller.
 */
async function publishRequest(d: DeliveryRoutesDeps, req: DeliveryRequest): Promise<void> {
  if (!d.mqtt.connected) throw unavailable('the message broker is not connected; retry shortly')
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable('the message broker did not acknowledge the request in time; retry shortly')), d.publishTimeoutMs)
  })
  try {
    await Promise.race([d.mqtt.publishAsync(d.topics.requests, JSON.stringify(req), { qos: 1 }), timeout])
  } catch (err) {
    if (err instanceof ProblemError) throw err
    throw unavailable(`the message broker refused the request: ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
}

function deadlineMs(v: CreateDeliveryBody['deadline']): number | null {
  if (v === undefined || v === null) return null
  return typeof v === 'number' ? v : Date.parse(v)
}

export function registerDeliveryRoutes(app: FastifyInstance, d: DeliveryRoutesDeps): void {
  const idempotency = new IdempotencyCache()

  async function create(body: CreateDeliveryBody): Promise<StoredResponse> {
    const id = `del-${randomBytes(10).toString('hex')}`
    const accepted = { id, pickup: body.pickup, dropoff: body.dropoff, weightKg: body.weightKg, deadline: deadlineMs(body.deadline) }
    await publishRequest(d, { type: 'CreateDelivery', ...accepted })
    const snapshot = d.book.accept(accepted)
    d.metrics.deliveriesAccepted.inc()
    const trackingToken = signTrackingToken(d.trackingSecret, id, d.now() + d.trackingTokenTtlS * 1000)
    const trackingUrl = `${d.wsUrl()}/v1/track/${encodeURIComponent(id)}?token=${encodeURIComponent(trackingToken)}`
    return { status: 202, body: { id, status: snapshot.status, trackingToken, trackingUrl } }
  }

  app.post<{ Body: CreateDeliveryBody }>('/v1/deliveries', { onRequest: d.auth, schema: { body: CreateDeliveryBody } }, async (request, reply) => {
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

  app.get<{ Params: IdParams }>('/v1/deliveries/:id', { onRequest: d.auth, schema: { params: IdParams } }, async (request) => {
    const snapshot = d.book.get(request.params.id)
    if (!snapshot) throw new ProblemError(404, ErrorCodes.NOT_FOUND, `no delivery with id ${JSON.stringify(request.params.id)}`)
    return snapshot
  })

  app.delete<{ Params: IdParams; Querystring: Static<typeof CancelQuery> }>(
    '/v1/deliveries/:id',
    { onRequest: d.auth, schema: { params: IdParams, querystring: CancelQuery } },
    async (request, reply) => {
      const { id } = request.params
      const snapshot = d.book.get(id)
      if (!snapshot) throw new ProblemError(404, ErrorCodes.NOT_FOUND, `no delivery with id ${JSON.stringify(id)}`)
      if (isTerminal(snapshot.status)) {
        throw new ProblemError(409, ErrorCodes.REQUEST_INVALID, `delivery ${id} is already ${snapshot.status} and cannot be cancelled`)
      }
      await publishRequest(d, { type: 'CancelDelivery', id, reason: request.query.reason ?? 'cancelled by operator' })
      // Accepted, not done: the engine decides, and DeliveryCancelled will follow on the events topic.
      return reply.code(202).send({ id, status: snapshot.status, cancelRequested: true })
    },
  )
}
