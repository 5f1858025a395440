import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { DELIVERY_STATUSES } from './events.js'
import { DRONE_STATES } from './telemetry.js'

/**
 * The shapes of what the engine and the gateway take from the broker
 * (requests, delivery events, tracking), checked in full on arrival: with an
 * external broker anyone who may publish can send anything (DESIGN.md §1c).
 * Extra properties are allowed (a newer sender may add some); a missing or
 * mistyped one is not.
 */

const Ms = Type.Number({ minimum: 0, maximum: 8.64e15 })
const Id = Type.String({ minLength: 1, maxLength: 100 })
const Text = Type.String({ maxLength: 1000 })
const LatLon = Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) })
const Eta = Type.Object({ at: Ms, p10: Ms, p90: Ms })
const Deadline = Type.Union([Ms, Type.Null()])

const event = <P extends Record<string, TSchema>>(type: string, props: P) =>
  Type.Object({ type: Type.Literal(type), deliveryId: Id, ts: Ms, seq: Type.Optional(Type.Integer({ minimum: 1 })), ...props })

export const DeliveryEventSchema = Type.Union([
  event('DeliveryCreated', { pickup: LatLon, dropoff: LatLon, weightKg: Type.Number({ exclusiveMinimum: 0 }), deadline: Deadline }),
  event('DroneAssigned', { droneId: Id, eta: Eta }),
  event('PackagePickedUp', { droneId: Id }),
  event('DeliveryCompleted', { droneId: Id }),
  event('DeliveryCancelled', { reason: Text, packageReturnsTo: Type.Optional(LatLon) }),
  event('DeliveryRescheduled', { dropoff: LatLon, deadline: Deadline }),
  event('DroneLost', { droneId: Id, reason: Type.Optional(Text) }),
  event('DeliveryReassigned', { fromDroneId: Id, toDroneId: Id }),
  event('DeliveryFailed', { reason: Text }),
  event('GeofenceEntered', { droneId: Id, zoneId: Id }),
  event('GeofenceExited', { droneId: Id, zoneId: Id }),
])

export const DeliveryRequestSchema = Type.Union([
  Type.Object({
    type: Type.Literal('CreateDelivery'),
    id: Id,
    pickup: LatLon,
    dropoff: LatLon,
    weightKg: Type.Number({ exclusiveMinimum: 0 }),
    deadline: Deadline,
  }),
  Type.Object({ type: Type.Literal('CancelDelivery'), id: Id, reason: Text }),
  Type.Object({ type: Type.Literal('RescheduleDelivery'), id: Id, dropoff: Type.Optional(LatLon), deadline: Type.Optional(Deadline) }),
  Type.Object({
    type: Type.Literal('AddZone'),
    id: Id,
    name: Type.Optional(Text),
    polygon: Type.Array(LatLon, { maxItems: 1001 }),
    noFly: Type.Boolean(),
  }),
  Type.Object({ type: Type.Literal('RemoveZone'), id: Id }),
])

const trackingMessageSchema = (): TSchema =>
  Type.Object({
    type: Type.Literal('tracking'),
    deliveryId: Id,
    droneId: Id,
    ts: Ms,
    position: Type.Object({
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      lon: Type.Number({ minimum: -180, maximum: 180 }),
      alt: Type.Number(),
    }),
    speed: Type.Number(),
    heading: Type.Number(),
    battery: Type.Number(),
    droneState: Type.Union(DRONE_STATES.map((s) => Type.Literal(s))),
    status: Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s))),
    eta: Type.Union([Eta, Type.Null()]),
  })

/** Compiled on first use: a process that never reads one of these messages does not pay for compiling its check. */
function lazyCheck(schema: () => TSchema): { Check(value: unknown): boolean } {
  let compiled: { Check(value: unknown): boolean } | undefined
  return { Check: (value) => (compiled ??= TypeCompiler.Compile(schema())).Check(value) }
}

export const isDeliveryEvent = lazyCheck(() => DeliveryEventSchema)
export const isDeliveryRequest = lazyCheck(() => DeliveryRequestSchema)
export const isTrackingMessage = lazyCheck(trackingMessageSchema)

/** No request, event or tracking message comes near this; a payload over it is not parsed. */
export const MAX_MESSAGE_BYTES = 256 * 1024
