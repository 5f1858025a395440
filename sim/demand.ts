import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import { destination } from '@turf/destination'
import { polygon as turfPolygon } from '@turf/helpers'
import { continuousLons, wrapLon, type LatLon } from '../protocol/geo.js'
import { noFlyZoneAt } from './noFlyZoneAt.js'
import { createRng, exponential, type Rng } from './random.js'
import type { Scenario } from './scenario/Scenario.js'

export interface DemandArrival {
  /** Request time, ms since the epoch. */
  at: number
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  /** ms since the epoch. */
  deadline: number
}

interface Weighted<T> {
  item: T
  /** Cumulative weight up to and including this item. */
  upTo: number
}

function cumulative<T>(items: Array<{ item: T; weight: number }>): Weighted<T>[] {
  let sum = 0
  return items.map(({ item, weight }) => ({ item, upTo: (sum += weight) }))
}

function pick<T>(list: Weighted<T>[], u: number): T {
  const target = u * (list.at(-1) as Weighted<T>).upTo
  return (list.find((w) => target < w.upTo) ?? (list.at(-1) as Weighted<T>)).item
}

/**
 * Poisson delivery requests whose rate follows the scenario's phases (a
 * non-homogeneous process: unit-rate exponential draws are spent against the
 * piecewise-constant rate, so a rush comes exactly when the phase says).
 * Pickups at depots or given points, drop-offs uniform in the area's circle
 * or polygon, or around weighted hotspots, and outside no-fly zones (the
 * gateway would refuse them: a drop-off drawn into one is drawn again, so a
 * scenario without zones spends exactly the draws it always did). Every draw comes from the
 * scenario's named `demand` stream, the same for every run of the same seed.
 */
export class DemandGenerator {
  private readonly rng: Rng
  private readonly s: Scenario
  private readonly pickups: Weighted<LatLon>[]
  private readonly hotspots: Weighted<{ center: LatLon; radiusM: number }>[]
  /** Rate changes as [ms since the epoch, requests per ms], ascending. */
  private readonly segments: Array<[number, number]>
  private readonly polygon: ReturnType<typeof turfPolygon> | undefined
  private readonly bbox: [number, number, number, number] = [0, 0, 0, 0]
  /** Exact (fractional-ms) time of the next arrival. */
  private next: number

  constructor(s: Scenario) {
    this.s = s
    this.rng = createRng(s.seed, 'demand')
    const d = s.demand
    this.pickups = cumulative(
      d.pickups.length > 0
        ? d.pickups.map((p) => ({ item: p.position, weight: p.weight }))
        : s.depots.filter((x) => x.drones > 0).map((x) => ({ item: x.position, weight: 1 })),
    )
    this.hotspots = cumulative(d.hotspots.map((h) => ({ item: { center: h.center, radiusM: h.radiusM }, weight: h.weight })))
    this.segments = [
      [s.start, d.ratePerHour / 3_600_000],
      ...d.phases.map((p): [number, number] => [s.start + p.atS * 1000, p.ratePerHour / 3_600_000]),
    ]
    if (d.area.polygon.length >= 3) {
      // Longitudes unwrapped along the ring: an area across ±180° is one piece, sampled in its own box.
      const lons = continuousLons(d.area.polygon)
      const ring = d.area.polygon.map((p, i) => [lons[i]!, p.lat])
      this.polygon = turfPolygon([[...ring, ring[0] as number[]]])
      const lats = d.area.polygon.map((p) => p.lat)
      this.bbox = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)]
    }
    this.next = this.advance(s.start)
  }

  /** Every arrival with a request time ≤ t, in order. */
  until(t: number): DemandArrival[] {
    const out: DemandArrival[] = []
    while (Math.round(this.next) <= t) {
      out.push(this.draw(Math.round(this.next)))
      this.next = this.advance(this.next)
    }
    return out
  }

  /** The next arrival after `from`: one unit-rate exponential spent across the rate segments. */
  private advance(from: number): number {
    let need = exponential(this.rng, 1)
    let t = from
    for (let k = 0; k < this.segments.length; k++) {
      const [begin, rate] = this.segments[k] as [number, number]
      const end = this.segments[k + 1]?.[0] ?? Infinity
      if (end <= t) continue
      t = Math.max(t, begin)
      const room = rate * (end - t)
      if (need <= room) return t + need / rate
      need -= room
      t = end
    }
    return Infinity // the last phase has rate 0
  }

  private draw(at: number): DemandArrival {
    const { weightKg, deadlineS } = this.s.demand
    const pickup = pick(this.pickups, this.rng())
    const dropoff = this.clearDropoff()
    const weight = weightKg.min + this.rng() * (weightKg.max - weightKg.min)
    return {
      at,
      pickup,
      dropoff,
      weightKg: Math.round(weight * 1000) / 1000,
      deadline: at + deadlineS * 1000,
    }
  }

  /**
   * A drop-off, rounded as sent and its longitude wrapped into -180..180 (an
   * area near ±180° draws points past it), outside every no-fly zone
   * (judged on the point the gateway sees).
   */
  private clearDropoff(): LatLon {
    let p: LatLon = { lat: 0, lon: 0 }
    // A zone that covers (almost) all of the area or hotspots leaves the last draw: the gateway then says which zone refused it.
    for (let tries = 0; tries < 1000; tries++) {
      const d = this.dropoff()
      p = { lat: Math.round(d.lat * 1e7) / 1e7, lon: wrapLon(Math.round(d.lon * 1e7) / 1e7) }
      if (this.s.zones.length === 0 || !noFlyZoneAt(this.s.zones, p)) return p
    }
    return p
  }

  private dropoff(): LatLon {
    if (this.hotspots.length > 0) {
      const h = pick(this.hotspots, this.rng())
      return this.inDisc(h.center, h.radiusM)
    }
    if (this.polygon) {
      const [w, s, e, n] = this.bbox
      // Rejection sampling: uniform in the bounding box, kept when inside.
      for (let tries = 0; tries < 10_000; tries++) {
        const lon = w + this.rng() * (e - w)
        const lat = s + this.rng() * (n - s)
        if (booleanPointInPolygon([lon, lat], this.polygon)) return { lat, lon }
      }
      return this.s.demand.area.center
    }
    return this.inDisc(this.s.demand.area.center, this.s.demand.area.radiusM)
  }

  private inDisc(center: LatLon, radiusM: number): LatLon {
    const r = radiusM * Math.sqrt(this.rng())
    const bearingDeg = this.rng() * 360 - 180
    const [lon, lat] = destination([center.lon, center.lat], r / 1000, bearingDeg, { units: 'kilometers' }).geometry.coordinates as [
      number,
      number,
    ]
    return { lat, lon }
  }
}
