import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { DELIVERY_STATUSES } from '../protocol/events.js'

/**
 * The REST API's shapes, once: fastify validates bodies and serializes
 * responses with them, and @fastify/swagger publishes them at /docs/json.
 */

export const LatLon = Type.Object(
  { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
)

const Deadline = Type.Union([Type.String({ format: 'date-time' }), Type.Number({ minimum: 0, maximum: 8.64e15 }), Type.Null()], {
  description: 'must be an ISO 8601 date-time with a time zone, or ms since the epoch',
})

export const CreateDeliveryBody = Type.Object(
  {
    pickup: LatLon,
    dropoff: LatLon,
    weightKg: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    deadline: Type.Optional(Deadline),
  },
  { additionalProperties: false },
)
export type CreateDeliveryBody = Static<typeof CreateDeliveryBody>

export const RescheduleBody = Type.Object(
  { dropoff: Type.Optional(LatLon), deadline: Type.Optional(Deadline) },
  { additionalProperties: false, minProperties: 1, description: 'a new drop-off, a new deadline (null: none), or both' },
)
export type RescheduleBody = Static<typeof RescheduleBody>

export const DeliveryStatus = Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)))

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
export type IdParams = Static<typeof IdParams>

export const Accepted = Type.Object({
  id: Type.String(),
  status: DeliveryStatus,
  trackingToken: Type.String({ description: 'opens this delivery, and only this one, until it expires' }),
  trackingUrl: Type.String({ description: 'WebSocket URL for live tracking' }),
  trackingPage: Type.String({ description: 'a web page that shows the delivery live' }),
})

/** `POST /v1/deliveries/{id}/tracking-link`: a fresh link for a delivery that exists. */
export const TrackingLinkIssued = Type.Object({
  id: Type.String(),
  status: DeliveryStatus,
  trackingToken: Type.String({ description: 'opens this delivery, and only this one, until expiresAt' }),
  trackingUrl: Type.String({ description: 'WebSocket URL for live tracking' }),
  trackingPage: Type.String({ description: 'a web page that shows the delivery live' }),
  expiresAt: Type.Number({ description: 'when the token stops working, ms since the epoch (wall time)' }),
})

/** Accepted, not done: the engine decides, and the event follows on the events topic and the tracking socket. */
export const CancelRequested = Type.Object({ id: Type.String(), status: DeliveryStatus, cancelRequested: Type.Literal(true) })
export const RescheduleRequested = Type.Object({ id: Type.String(), status: DeliveryStatus, rescheduleRequested: Type.Literal(true) })

const Eta = Type.Object(
  { at: Type.Number(), p10: Type.Number(), p90: Type.Number() },
  { description: 'estimated arrival and its P10-P90 window, ms since the epoch' },
)
const Position = Type.Object({ lat: Type.Number(), lon: Type.Number(), alt: Type.Number() })
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

const snapshotProps = {
  id: Type.String(),
  status: DeliveryStatus,
  pickup: LatLon,
  dropoff: LatLon,
  weightKg: Type.Number(),
  deadline: Nullable(Type.Number({ description: 'event time, ms since the epoch' })),
  droneId: Nullable(Type.String()),
  position: Nullable(Position),
  eta: Nullable(Eta),
  requestedAt: Nullable(
    Type.Number({
      description:
        "event time (the engine's clock, simulated time in a simulation) the engine took the request, ms since the epoch; the clock of deadline, eta and history[].ts; null until the engine confirmed it",
    }),
  ),
  createdAt: Type.Number({ description: 'wall-clock time this gateway accepted the request, ms since the epoch (not event time)' }),
  updatedAt: Type.Number({
    description: 'wall-clock time this gateway last learned something of the delivery, ms since the epoch (not event time)',
  }),
}

/** A delivery in a list: everything but the event history. */
export const DeliverySummary = Type.Object(snapshotProps)

/** `GET /v1/deliveries/{id}`: the delivery with its event history (events as the engine published them). */
export const DeliveryDetail = Type.Object({
  ...snapshotProps,
  history: Type.Array(
    Type.Object(
      { type: Type.String(), deliveryId: Type.String(), ts: Type.Number({ description: 'event time, ms since the epoch' }) },
      { additionalProperties: true },
    ),
  ),
})

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'stable error code, e.g. DF_REQUEST_INVALID' }),
    detail: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: 'JSON pointer, e.g. /pickup/lat' }),
          value: Type.Optional(Type.Unknown()),
          message: Type.String(),
        }),
      ),
    ),
  },
  { description: 'application/problem+json (RFC 9457)' },
)
