import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { ErrorCodes } from '../protocol/errors.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import type { LatLon } from '../protocol/geo.js'
import type { Topics } from '../protocol/topics.js'
import type { Store, StoredDelivery } from '../store/Store.js'
import type { CreateDeliveryBody } from './apiSchemas.js'
import { deadlineMs } from './deadlineMs.js'
import type { DeliveryBook } from './DeliveryBook.js'
import type { EngineView } from './EngineView.js'
import type { IngestLimiter } from './IngestLimiter.js'
import type { GatewayMetrics } from './metrics.js'
import { ProblemError } from './problem.js'
import { publishRequest, unavailable } from './publishRequest.js'
import { refuseNoFly } from './refuseNoFly.js'
import { trackingLink } from './trackingLink.js'

export interface CreateDeliveryDeps {
  /** Where the request goes (QoS 1) and how long to wait for the broker's PUBACK. */
  mqtt: BrokerLink
  topics: Topics
  publishTimeoutMs: number
  /** Where an accepted request is committed before it is answered; the idempotency keys live there. */
  store: Store
  /** Read for no-fly zones, so a request into one is refused at ingestion. */
  engine: EngineView
  /** Requests published but not yet seen as DeliveryCreated: the engine's backlog. */
  limiter: IngestLimiter
  /** Records the accepted delivery, so live tracking can attach to it at once. */
  book: DeliveryBook
  metrics: Pick<GatewayMetrics, 'deliveriesAccepted' | 'deliveriesShed'>
  trackingSecret: Buffer
  trackingTokenTtlS: number
  /** The region of a pickup (its engine takes the request); undefined outside every region. */
  regionOf?: ((p: LatLon) => string | undefined) | undefined
  /** Wall clock, ms. */
  now: () => number
  /** The public WebSocket base URL, known only once the socket listens. */
  wsUrl: () => string
  /** The public HTTP base URL, for links to the tracking page. */
  httpUrl: () => string
  logger?: Logger | undefined
}

export interface CreatedResponse {
  status: 202
  /** The key had been accepted before: this is that delivery. */
  replayed: boolean
  body: { id: string; status: 'Created'; trackingToken: string; trackingUrl: string; trackingPage: string }
}

/**
 * The one place a delivery is accepted: refused in a no-fly zone (422), while
 * the engine is behind or the broker is gone (503); otherwise committed to
 * the store (idempotently, by key) and answered 202 once that commit is
 * durable. The request is then handed to the engine over the broker; when
 * that fails the delivery is still accepted: the engine takes accepted but
 * uncreated deliveries from the store when it recovers.
 */
export async function createDelivery(
  d: CreateDeliveryDeps,
  body: CreateDeliveryBody,
  idempotency: { key: string; fingerprint: string } | null = null,
): Promise<CreatedResponse> {
  refuseNoFly(d.engine, { pickup: body.pickup, dropoff: body.dropoff })
  const region = d.regionOf ? d.regionOf(body.pickup) : d.topics.region
  if (region === undefined)
    throw new ProblemError(ErrorCodes.REQUEST_INVALID, 'the pickup lies outside every region this service covers', {
      status: 422,
      errors: [{ field: '/pickup', value: body.pickup, message: 'lies outside every region this service covers' }],
    })
  // Nobody would hand it to the engine now: refused up front rather than accepted into a silence.
  if (!d.mqtt.connected) throw unavailable('the message broker is not connected; retry shortly')
  const id = `del-${randomBytes(10).toString('hex')}`
  // Refused before committing: a full window means the engine has not caught up with what it already has.
  if (!d.limiter.tryAcquire(id)) {
    d.metrics.deliveriesShed.inc()
    throw new ProblemError(
      ErrorCodes.OVERLOADED,
      `the engine is behind (${d.limiter.size} requests waiting, limit ${d.limiter.limit}); retry shortly`,
      { headers: { 'retry-after': '1' } },
    )
  }
  const order = { id, pickup: body.pickup, dropoff: body.dropoff, weightKg: body.weightKg, deadline: deadlineMs(body.deadline) }
  let result: Awaited<ReturnType<Store['accept']>>
  try {
    result = await d.store.accept({ order, idempotencyKey: idempotency?.key ?? null, fingerprint: idempotency?.fingerprint ?? id, region })
  } catch (err) {
    d.limiter.release(id)
    throw err
  }
  if (result.kind === 'conflict') {
    d.limiter.release(id)
    throw new ProblemError(ErrorCodes.REQUEST_INVALID, 'this Idempotency-Key was already used with a different request body', {
      status: 422,
    })
  }
  if (result.kind === 'replay') {
    d.limiter.release(id)
    return { status: 202, replayed: true, body: acceptedBody(d, result.delivery) }
  }
  d.book.accept(order)
  d.metrics.deliveriesAccepted.inc()
  try {
    await publishRequest(d, { type: 'CreateDelivery', ...order }, region)
  } catch (err) {
    // Committed is accepted: the engine recovers it from the store.
    d.limiter.release(id)
    d.logger?.warn({ id, err: (err as Error).message }, 'accepted delivery not handed to the engine; it is recovered from the store')
  }
  return { status: 202, replayed: false, body: acceptedBody(d, result.delivery) }
}

/**
 * The 202 body, the same for the first answer and every replay: the token's
 * expiry counts from the delivery's acceptance, so a replay repeats it.
 */
function acceptedBody(d: CreateDeliveryDeps, s: StoredDelivery): CreatedResponse['body'] {
  const link = trackingLink(
    { trackingSecret: d.trackingSecret, httpUrl: d.httpUrl(), wsUrl: d.wsUrl() },
    s.id,
    s.createdAt + d.trackingTokenTtlS * 1000,
  )
  return { id: s.id, status: 'Created', trackingToken: link.trackingToken, trackingUrl: link.trackingUrl, trackingPage: link.trackingPage }
}
