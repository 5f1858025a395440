import { Geofences } from '../engine/Geofences.js'
import { emptyEngineStats, mergeEngineStats, type EngineStatus } from '../protocol/engineStatus.js'
import type { Zone } from '../protocol/geo.js'
import type { DroneNear, DroneView, EngineStats } from '../protocol/views.js'
import { haversineM } from '../protocol/geo.js'
import type { EngineView } from './EngineView.js'

/** Counters of a gateway that has heard no engine yet: the lag unknown, so /readyz says not ready. */
const NONE = emptyEngineStats(Number.POSITIVE_INFINITY)

/**
 * The engines as a gateway without one beside it sees them (`serve --role
 * gateway`): the latest status of each engine process (protocol/engineStatus.ts),
 * forgotten once silent for `staleMs`, merged into one EngineView. No-fly
 * zones are the scenario's (given) plus whatever the engines report.
 */
export class RemoteEngineView implements EngineView {
  private readonly statuses = new Map<string, EngineStatus>()
  private readonly own: Geofences

  constructor(
    private readonly now: () => number,
    zones: readonly Zone[] = [],
    private readonly staleMs = 5000,
  ) {
    this.own = geofences(zones)
  }

  heard(s: EngineStatus): void {
    const known = this.statuses.get(s.holder)
    if (!known || known.sentAt <= s.sentAt) this.statuses.set(s.holder, s)
  }

  /** Engine processes heard from lately, with the regions each holds. */
  engines(): Array<{ holder: string; regions: string[] }> {
    return this.live().map((s) => ({ holder: s.holder, regions: s.regions }))
  }

  drones(): DroneView[] {
    return this.live().flatMap((s) => s.drones)
  }

  drone(id: string): DroneView | undefined {
    for (const s of this.live()) {
      const d = s.drones.find((x) => x.id === id)
      if (d) return d
    }
    return undefined
  }

  dronesNear(lat: number, lon: number, radiusM: number): DroneNear[] {
    return this.drones()
      .map((d) => ({ ...d, distanceM: haversineM(lat, lon, d.lat, d.lon) }))
      .filter((d) => d.distanceM <= radiusM)
      .sort((a, b) => a.distanceM - b.distanceM)
  }

  stats(): EngineStats {
    return mergeEngineStats(this.live().map((s) => s.stats)) ?? NONE
  }

  zones(): Zone[] {
    const byId = new Map<string, Zone>(this.own.list().map((z) => [z.id, z]))
    for (const s of this.live()) for (const z of s.zones) byId.set(z.id, z)
    return [...byId.values()]
  }

  zone(id: string): Zone | undefined {
    return this.zones().find((z) => z.id === id)
  }

  noFlyZoneAt(lat: number, lon: number): Zone | undefined {
    return this.own.noFlyAt(lat, lon) ?? geofences(this.live().flatMap((s) => s.zones)).noFlyAt(lat, lon)
  }

  private live(): EngineStatus[] {
    const now = this.now()
    for (const [holder, s] of this.statuses) if (now - s.sentAt > this.staleMs) this.statuses.delete(holder)
    return [...this.statuses.values()]
  }
}

function geofences(zones: readonly Zone[]): Geofences {
  const g = new Geofences()
  for (const z of zones) g.set(z)
  return g
}
