import type { Zone } from './geo.js'
import type { DroneView, EngineStats } from './views.js'

/**
 * What an engine process publishes every second on `engine/status/{holder}`
 * when it runs apart from the gateways (`serve --role engine`): the regions
 * it holds, its counters and its drones, so a gateway with no engine beside
 * it can answer /v1/drones, /v1/fleet, /readyz and /metrics.
 */
export interface EngineStatus {
  holder: string
  /** Wall ms when it was sent: a gateway forgets an engine silent for a few intervals. */
  sentAt: number
  regions: string[]
  stats: EngineStats
  drones: DroneView[]
  zones: Zone[]
}

/** An engine status from the broker, or undefined when it is not one (never throws). */
export function decodeEngineStatus(payload: Buffer | string): EngineStatus | undefined {
  try {
    const o = JSON.parse(payload.toString()) as Partial<EngineStatus> | null
    if (!o || typeof o !== 'object' || typeof o.holder !== 'string' || typeof o.sentAt !== 'number') return undefined
    if (!Array.isArray(o.regions) || !Array.isArray(o.drones) || !Array.isArray(o.zones) || !o.stats || typeof o.stats !== 'object')
      return undefined
    return o as EngineStatus
  } catch {
    return undefined
  }
}

/** The counters of no engine: everything zero, the lag as given (a gateway that has heard none says infinite, so /readyz is not ready). */
export function emptyEngineStats(lagMs: number): EngineStats {
  return {
    telemetryReceived: 0,
    telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
    telemetryStale: 0,
    assignments: 0,
    deliveriesByStatus: { Created: 0, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 0 },
    watermark: 0,
    lagMs,
  }
}

/**
 * Several engines' counters as one: counts add up (element by element in
 * histogram buckets), the lag is the worst one, the watermark the latest.
 */
export function mergeEngineStats(all: readonly EngineStats[]): EngineStats | undefined {
  if (all.length === 0) return undefined
  return all.slice(1).reduce<EngineStats>((a, b) => mergeValue(a, b, '') as EngineStats, structuredClone(all[0] as EngineStats))
}

function mergeValue(a: unknown, b: unknown, key: string): unknown {
  if (typeof a === 'number' && typeof b === 'number') return key === 'lagMs' || key === 'watermark' ? Math.max(a, b) : a + b
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => (i < b.length ? mergeValue(x, b[i], key) : x))
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) }
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? mergeValue(out[k], v, k) : v
    // A bucket's bound is a bound, not a count.
    if ('le' in out && 'le' in (a as Record<string, unknown>)) out.le = (a as Record<string, unknown>).le
    return out
  }
  return a ?? b
}
