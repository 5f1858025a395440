import type { LatLon, Zone } from '../protocol/geo.js'

/** What the load looks like: pure ingest, or a fleet at work. */
export type LoadKind = 'ingest' | 'realistic'

/**
 * The fleet a load test flies, the same in the publisher (where each drone
 * is) and in the engine (its depots and zones): drones 0, 1, … on a grid of
 * 1000 columns 1e-4° apart from (47.5, -122.4). In a realistic load one
 * drone in `idleEvery` waits idle at a depot, dispatchable; the others
 * cruise across a geofence zone, and a no-fly zone makes routes bend. An
 * ingest load has every drone cruising still, no depot, no zone.
 */
export class LoadWorld {
  readonly depots: LatLon[]
  readonly zones: Zone[]
  /** Drones idle at a depot until the engine assigns them. */
  readonly idle: number

  constructor(
    readonly kind: LoadKind,
    readonly drones: number,
    wsClients = 0,
  ) {
    const realistic = kind === 'realistic'
    // One depot per 500 drones, spread along the grid's first row band.
    const nDepots = realistic ? Math.max(1, Math.ceil(drones / 500)) : 0
    this.depots = Array.from({ length: nDepots }, (_, i) => ({
      lat: 47.5 + ((i * 997) % 1000) * 1e-4,
      lon: -122.4 + (Math.floor(i / 2) + 0.5) * 1e-3,
    }))
    this.idle = realistic ? Math.min(drones, Math.max(Math.ceil(drones * 0.3), wsClients)) : 0
    this.zones = realistic
      ? [
          { id: 'bench-zone', name: 'bench geofence', noFly: false, polygon: box(47.5, -122.4, 47.55, -122.3998 + 1e-3) },
          { id: 'bench-nofly', name: 'bench no-fly', noFly: true, polygon: box(47.56, -122.39, 47.562, -122.388) },
        ]
      : []
  }

  /** The idle drones are the first `idle` ones, each at depot (drone mod depots). */
  isIdle(drone: number): boolean {
    return drone < this.idle
  }

  depotOf(drone: number): LatLon {
    return this.depots[drone % this.depots.length] as LatLon
  }

  /** Where a cruising drone is at its `seq`th report: realistic drones move east and back across the zone's edge. */
  cruiseAt(drone: number, seq: number): LatLon {
    const lat = 47.5 + (drone % 1000) * 1e-4
    const lon = -122.4 + Math.floor(drone / 1000) * 1e-4
    return this.kind === 'realistic' ? { lat, lon: lon + Math.abs((seq % 200) - 100) * 2e-5 } : { lat, lon }
  }

  /** A delivery request near depot `k`: pickup at the depot's door, drop-off 1–3 km north-east. */
  request(k: number): { pickup: LatLon; dropoff: LatLon; weightKg: number } {
    const d = this.depots[k % this.depots.length] as LatLon
    const far = 0.01 + (k % 20) * 1e-3
    return { pickup: { lat: d.lat + 1e-4, lon: d.lon }, dropoff: { lat: d.lat + far, lon: d.lon + far / 2 }, weightKg: 1 }
  }
}

function box(lat1: number, lon1: number, lat2: number, lon2: number): LatLon[] {
  return [
    { lat: lat1, lon: lon1 },
    { lat: lat1, lon: lon2 },
    { lat: lat2, lon: lon2 },
    { lat: lat2, lon: lon1 },
    { lat: lat1, lon: lon1 },
  ]
}
