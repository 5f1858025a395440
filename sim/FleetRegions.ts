import type { LatLon } from '../protocol/geo.js'
import { RegionMap } from '../protocol/RegionMap.js'
import type { Scenario } from './scenario/Scenario.js'
import { fleetShards, SHARD_DRONES, type RegionRun, type Shard } from './shards.js'

/**
 * The scenario's fleet by region, and the part of it one simulator flies.
 * A drone belongs to its home depot's region (drones are numbered depot by
 * depot, in the scenario's order), a request to its pickup's. Several
 * simulators, each flying some regions, together fly the fleet once: the
 * shards, drone numbers and demand are those of the whole scenario in every
 * one of them, each keeping its own part.
 */
export class FleetRegions {
  readonly map: RegionMap
  /** The regions flown, in the scenario's order. */
  readonly flying: readonly string[]
  /** 1 for each drone (by index) this simulator flies. */
  readonly flown: Uint8Array
  /** How many drones it flies. */
  readonly count: number
  /** The shards of the drones flown, in shard order. */
  readonly shards: readonly Shard[]
  private readonly flyingSet: ReadonlySet<string>

  /** `flying`: ids of the scenario's regions (checked by the caller); default: all of them. */
  constructor(s: Scenario, flying?: readonly string[], shardDrones: number = SHARD_DRONES) {
    this.map = new RegionMap(s.regions)
    const wanted = new Set(flying ?? this.map.ids)
    this.flying = this.map.ids.filter((id) => wanted.has(id))
    this.flyingSet = new Set(this.flying)
    const runs: RegionRun[] = []
    let i = 0
    for (const depot of s.depots) {
      // A valid scenario has every depot in a region (checkScenarioMeaning).
      const region = this.map.regionOf(depot.position.lat, depot.position.lon) as string
      const last = runs.at(-1)
      if (last && last.region === region && last.to === i) last.to += depot.drones
      else if (depot.drones > 0) runs.push({ region, from: i, to: i + depot.drones })
      i += depot.drones
    }
    this.flown = new Uint8Array(i)
    this.shards = fleetShards(runs, shardDrones).filter((sh) => this.flyingSet.has(sh.region))
    let count = 0
    for (const sh of this.shards) {
      this.flown.fill(1, sh.from, sh.to)
      count += sh.to - sh.from
    }
    this.count = count
  }

  /** Whether this simulator flies the region. */
  flies(region: string | undefined): boolean {
    return region !== undefined && this.flyingSet.has(region)
  }

  /** Whether a request picked up here is this simulator's to make. */
  ownsPickup(p: LatLon): boolean {
    return this.flies(this.map.regionOf(p.lat, p.lon))
  }
}
