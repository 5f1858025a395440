import { ErrorCodes } from '../protocol/errors.js'
import type { DeliveryRequest } from '../protocol/requests.js'
import type { Topics } from '../protocol/topics.js'
import { ProblemError } from './problem.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'

/** 503 with Retry-After: the broker cannot take the request now. */
export const unavailable = (detail: string): ProblemError =>
  new ProblemError(ErrorCodes.BROKER_UNAVAILABLE, detail, { headers: { 'retry-after': '1' } })

/**
 * Hands a request to the engine: QoS 1, and only once the broker has
 * acknowledged it. MQTT.js would silently queue a publish while disconnected,
 * so a disconnected client is refused up front instead of hanging the caller.
 */
export async function publishRequest(
  d: { mqtt: BrokerLink; topics: Topics; publishTimeoutMs: number },
  req: DeliveryRequest,
  /** The region whose engine takes it (its `requests` topic); default: the topics' own. */
  region: string = d.topics.region,
): Promise<void> {
  if (!d.mqtt.connected) throw unavailable('the message broker is not connected; retry shortly')
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(unavailable('the message broker did not acknowledge the request in time; retry shortly')),
      d.publishTimeoutMs,
    )
  })
  try {
    await Promise.race([d.mqtt.publishAsync(d.topics.forRegion(region).requests, JSON.stringify(req), { qos: 1 }), timeout])
  } catch (err) {
    if (err instanceof ProblemError) throw err
    throw unavailable(`the message broker refused the request: ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
}
