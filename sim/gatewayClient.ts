import type { DemandArrival } from './demand.js'

export interface GatewayClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string
  apiKey: string | null
  /** Attempts per request when the gateway answers 503 (load-leveling). */
  attempts?: number
  sleep?: (ms: number) => Promise<void>
}

/**
 * The simulator's demand goes in through the public REST API, like any
 * customer's: `POST /v1/deliveries`. A 503 is retried after its Retry-After,
 * with the same Idempotency-Key, so a retry never creates a second delivery.
 */
export function gatewaySubmitter(o: GatewayClientOptions): (a: DemandArrival, idempotencyKey?: string) => Promise<string> {
  const url = new URL('/v1/deliveries', o.baseUrl).href
  const attempts = o.attempts ?? 5
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`
  return async (a, idempotencyKey) => {
    const body = JSON.stringify({ pickup: a.pickup, dropoff: a.dropoff, weightKg: a.weightKg, deadline: a.deadline })
    const h = idempotencyKey ? { ...headers, 'idempotency-key': idempotencyKey } : headers
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(url, { method: 'POST', headers: h, body })
      if (res.status === 202) return ((await res.json()) as { id: string }).id
      const text = await res.text()
      if (res.status !== 503 || attempt >= attempts) {
        throw new Error(`POST ${url} answered ${res.status}: ${text.slice(0, 300)}`)
      }
      await sleep(1000 * Math.max(0.1, Number(res.headers.get('retry-after') ?? 1)))
    }
  }
}
