import { DELIVERY_EVENT_TYPES, type DeliveryEvent } from './events.js'
import { isDeliveryEvent, MAX_MESSAGE_BYTES } from './messageSchemas.js'

const EVENT_SET: ReadonlySet<string> = new Set(DELIVERY_EVENT_TYPES)

/** Parses an event payload from the broker; undefined when it is not an event. */
export function decodeDeliveryEvent(payload: Buffer | string): DeliveryEvent | undefined {
  if (payload.length > MAX_MESSAGE_BYTES) return undefined
  try {
    const e: unknown = JSON.parse(payload.toString())
    // Checked in full (protocol/messageSchemas.ts): one malformed event must not poison every reader.
    return isDeliveryEvent.Check(e) && EVENT_SET.has((e as DeliveryEvent).type) ? (e as DeliveryEvent) : undefined
  } catch {
    return undefined
  }
}
