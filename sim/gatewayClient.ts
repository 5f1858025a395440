import { decodeDeliveryEvent } from '../protocol/decodeDeliveryEvent.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import type { DemandArrival } from './demand.js'

export interface GatewayClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string
  apiKey: string | null
  /**
   * Attempts per request when the gateway answers 503 (load-leveling, or its
   * broker away for a moment), each after the Retry-After it gives. Default
   * 30: about half a minute at the gateway's usual Retry-After of 1 s, as long
   * as a broker restart with its clients' reconnect backoff may take.
   */
  attempts?: number
  /**
   * Once the gateway has answered, how long a refused or broken connection
   * (a gateway restarting) is retried, with backoff, before giving up, ms.
   * Default 60,000. A gateway never reached fails at once: that is a wrong --gateway.
   */
  reconnectMs?: number
  sleep?: (ms: number) => Promise<void>
  /** Told of each accepted delivery with the links the gateway returned (`dronefleet demo` prints a few). */
  onAccepted?: (accepted: AcceptedDelivery) => void
}

/** What `POST /v1/deliveries` answers 202 with. */
export interface AcceptedDelivery {
  id: string
  trackingToken: string
  trackingUrl: string
  trackingPage: string
}

/**
 * The simulator's demand goes in through the public REST API, like any
 * customer's: `POST /v1/deliveries`. A 503 is retried after its Retry-After,
 * with the same Idempotency-Key, so a retry never creates a second delivery;
 * so is a lost connection to a gateway that answered before (a restart).
 */
export function gatewaySubmitter(o: GatewayClientOptions): (a: DemandArrival, idempotencyKey?: string) => Promise<string> {
  const url = new URL('/v1/deliveries', o.baseUrl).href
  const attempts = o.attempts ?? 30
  const reconnectMs = o.reconnectMs ?? 60_000
  let reached = false
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`
  return async (a, idempotencyKey) => {
    const body = JSON.stringify({ pickup: a.pickup, dropoff: a.dropoff, weightKg: a.weightKg, deadline: a.deadline })
    const h = idempotencyKey ? { ...headers, 'idempotency-key': idempotencyKey } : headers
    let lostMs = 0
    let lost = 0
    for (let attempt = 1; ; attempt++) {
      let res: Response
      try {
        res = await fetch(url, { method: 'POST', headers: h, body })
      } catch (err) {
        // Without a key only a refused connection is safe to retry: the request never arrived.
        const retryable = reached && (idempotencyKey !== undefined || causeCode(err) === 'ECONNREFUSED')
        if (!retryable || lostMs >= reconnectMs) throw unreachable(o.baseUrl, err)
        const wait = Math.min(5000, 250 * 2 ** Math.min(lost++, 5), reconnectMs - lostMs)
        lostMs += wait
        attempt--
        await sleep(wait)
        continue
      }
      reached = true
      if (res.status === 202) {
        const accepted = (await res.json()) as AcceptedDelivery
        o.onAccepted?.(accepted)
        return accepted.id
      }
      const text = await res.text()
      if (res.status !== 503 || attempt >= attempts) {
        throw new DronefleetError(
          ErrorCodes.GATEWAY_REFUSED,
          `POST ${url} answered ${res.status}: ${text.slice(0, 300)}`,
          '--gateway',
          o.baseUrl,
        )
      }
      await sleep(1000 * Math.max(0.1, Number(res.headers.get('retry-after') ?? 1)))
    }
  }
}

/**
 * Reads a delivery's event history from the gateway (`GET /v1/deliveries/{id}`),
 * for an observer that may have missed events while its broker was away. A
 * gateway that is restarting (refused, 5xx) is asked again with backoff for up
 * to `reconnectMs`; undefined when it never answers with the history.
 */
export function gatewayHistory(
  o: Pick<GatewayClientOptions, 'baseUrl' | 'apiKey' | 'reconnectMs' | 'sleep'>,
): (id: string) => Promise<DeliveryEvent[] | undefined> {
  const headers: Record<string, string> = o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}
  const reconnectMs = o.reconnectMs ?? 60_000
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  return async (id) => {
    const url = new URL(`/v1/deliveries/${encodeURIComponent(id)}`, o.baseUrl)
    for (let waited = 0, k = 0; ; k++) {
      const res = await fetch(url, { headers }).catch(() => undefined)
      if (res && res.status < 500) {
        if (!res.ok) return undefined
        const body = (await res.json()) as { history?: unknown }
        if (!Array.isArray(body.history)) return undefined
        return body.history.map((e) => decodeDeliveryEvent(JSON.stringify(e))).filter((e): e is DeliveryEvent => e !== undefined)
      }
      if (waited >= reconnectMs) return undefined
      const wait = Math.min(2000, 100 * 2 ** k, reconnectMs - waited)
      waited += wait
      await sleep(wait)
    }
  }
}

function causeCode(err: unknown): string | undefined {
  return (err as { cause?: { code?: string } }).cause?.code
}

/** fetch() fails with "fetch failed" and the reason (ECONNREFUSED, ENOTFOUND, ...) as its cause. */
function unreachable(baseUrl: string, err: unknown): DronefleetError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  const why = cause?.code ?? cause?.message ?? (err as Error).message
  return new DronefleetError(
    ErrorCodes.GATEWAY_UNREACHABLE,
    `cannot reach the gateway at ${baseUrl}: ${why}; check --gateway`,
    '--gateway',
    baseUrl,
  )
}
