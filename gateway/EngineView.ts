import type { LatLon, Zone } from '../protocol/geo.js'
import type { DroneNear, DroneView, EngineStats } from '../protocol/views.js'

/**
 * What the gateway reads from the engine running beside it. Writes never go
 * through here: they travel over the broker like everything else. The
 * optional methods are optional only so that stubs written before them still
 * type-check; the engine has them all.
 */
export interface EngineView {
  drones(): DroneView[]
  drone(id: string): DroneView | undefined
  stats(): EngineStats
  /** Drones within radiusM of a point, nearest first, from the engine's spatial index. */
  dronesNear?(lat: number, lon: number, radiusM: number): DroneNear[]
  zones?(): Zone[]
  zone?(id: string): Zone | undefined
  /** The no-fly zone a point lies in: requests with a pickup or drop-off there are refused at ingestion. */
  noFlyZoneAt?(lat: number, lon: number): Zone | undefined
}

/** Field problems for points that lie inside no-fly zones, e.g. [{field: '/dropoff', ...}]; empty when none do. */
export function noFlyProblems(
  engine: EngineView,
  points: Record<string, LatLon | undefined>,
): Array<{ field: string; value: unknown; message: string }> {
  const out: Array<{ field: string; value: unknown; message: string }> = []
  for (const [name, p] of Object.entries(points)) {
    const z = p && engine.noFlyZoneAt?.(p.lat, p.lon)
    if (z) out.push({ field: `/${name}`, value: p, message: `lies inside no-fly zone ${JSON.stringify(z.name ?? z.id)}` })
  }
  return out
}
