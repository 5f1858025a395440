import { DronefleetError, ErrorCodes } from './errors.js'
import type { LatLon } from './geo.js'
import { regionProblems } from './regionProblems.js'
import { RegionRing } from './RegionRing.js'
import { DEFAULT_REGION } from './topics.js'

/** A named part of the world: its topics are `{prefix}/regions/{id}/…`, and one engine owns it. */
export interface Region {
  id: string
  /** One ring, closed or not; edges are straight on a latitude/longitude map. */
  polygon: LatLon[]
}

/**
 * Which region a place belongs to. Built from a scenario's (or a service's)
 * `regions:`; with none, the whole world is the one region DEFAULT_REGION.
 * A depot belongs to the region that contains it, a drone to its home
 * depot's, a request to its pickup's. A point on an edge two regions share
 * belongs to exactly one of them (RegionRing.contains); outside every
 * declared region a point has none.
 */
export class RegionMap {
  /** The regions' ids in the order declared; [DEFAULT_REGION] when none are. */
  readonly ids: readonly string[]
  private readonly rings: ReadonlyArray<{ id: string; ring: RegionRing }>

  /** Throws DF_OPTION_INVALID naming the first problem when the regions are not valid (regionProblems). */
  constructor(regions: readonly Region[] = []) {
    const bad = regionProblems(regions)[0]
    if (bad) {
      const field = `regions${bad.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`
      throw new DronefleetError(ErrorCodes.OPTION_INVALID, `${field} ${bad.message}`, field, bad.value)
    }
    this.rings = regions.map((r) => ({ id: r.id, ring: new RegionRing(r.polygon) }))
    this.ids = Object.freeze(regions.length === 0 ? [DEFAULT_REGION] : regions.map((r) => r.id))
  }

  /** Whether regions were declared (else the world is DEFAULT_REGION). */
  get named(): boolean {
    return this.rings.length > 0
  }

  /** The region of a place: DEFAULT_REGION when none are declared, undefined outside every declared one. */
  regionOf(lat: number, lon: number): string | undefined {
    const rings = this.rings
    if (rings.length === 0) return DEFAULT_REGION
    for (let k = 0; k < rings.length; k++) {
      const r = rings[k]!
      if (r.ring.contains(lat, lon)) return r.id
    }
    return undefined
  }

  has(id: string): boolean {
    return this.ids.includes(id)
  }
}
