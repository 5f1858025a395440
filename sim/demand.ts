import { destination } from '@turf/destination'
import type { LatLon } from '../protocol/geo.js'
import { createRng, exponential, type Rng } from './random.js'
import type { Scenario } from './Scenario.js'

export interface DemandArrival {
  /** Request time, ms since the epoch. */
  at: number
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  /** ms since the epoch. */
  deadline: number
}

/**
 * Poisson delivery requests: exponential gaps at the scenario's rate, pickup
 * at a depot that has drones, drop-off uniform over the demand area's disc.
 * Draws come from the scenario's named `demand` stream, so they are the same
 * for every run of the same seed.
 */
export class DemandGenerator {
  private readonly rng: Rng
  private readonly s: Scenario
  private readonly pickups: LatLon[]
  private nextAt: number

  constructor(s: Scenario) {
    this.s = s
    this.rng = createRng(s.seed, 'demand')
    this.pickups = s.depots.filter((d) => d.drones > 0).map((d) => d.position)
    this.nextAt = s.start + this.gapMs()
  }

  /** Every arrival with a request time ≤ t, in order. */
  until(t: number): DemandArrival[] {
    const out: DemandArrival[] = []
    while (this.nextAt <= t) {
      out.push(this.draw(this.nextAt))
      this.nextAt += this.gapMs()
    }
    return out
  }

  private gapMs(): number {
    return Math.max(1, Math.round(exponential(this.rng, 3_600_000 / this.s.demand.ratePerHour)))
  }

  private draw(at: number): DemandArrival {
    const { area, weightKg, deadlineS } = this.s.demand
    const pickup = this.pickups[Math.floor(this.rng() * this.pickups.length)] as LatLon
    const r = area.radiusM * Math.sqrt(this.rng())
    const bearingDeg = this.rng() * 360 - 180
    const [lon, lat] = destination([area.center.lon, area.center.lat], r / 1000, bearingDeg, { units: 'kilometers' }).geometry.coordinates as [number, number]
    const weight = weightKg.min + this.rng() * (weightKg.max - weightKg.min)
    return {
      at,
      pickup,
      dropoff: { lat: Math.round(lat * 1e7) / 1e7, lon: Math.round(lon * 1e7) / 1e7 },
      weightKg: Math.round(weight * 1000) / 1000,
      deadline: at + deadlineS * 1000,
    }
  }
}
