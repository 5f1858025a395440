import type { ResultsCollector } from './ResultsCollector.js'
import type { Depot } from '../scenario/Scenario.js'
import type { MissionRecord } from '../Simulator.js'

type Position = [lon: number, lat: number]

interface Feature {
  type: 'Feature'
  geometry: { type: 'LineString'; coordinates: Position[] } | { type: 'Point'; coordinates: Position }
  properties: Record<string, unknown>
}

/**
 * The run's routes as GeoJSON (RFC 7946, [lon, lat]): one LineString per
 * mission flown (start, pickup, drop-off, depot), the depots as Points. Keyed
 * by request order, like results.json.
 */
export function routesGeoJson(
  missions: readonly MissionRecord[],
  collector: ResultsCollector,
  depots: readonly Depot[],
): { type: 'FeatureCollection'; features: Feature[] } {
  const features: Feature[] = depots.map((d) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [d.position.lon, d.position.lat] },
    properties: { kind: 'depot', id: d.id, drones: d.drones },
  }))
  for (const m of missions) {
    const d = collector.get(m.deliveryId)
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: m.route.map((p): Position => [p.lon, p.lat]) },
      properties: {
        kind: 'route',
        request: d?.request ?? null,
        droneId: m.droneId,
        status: d?.status ?? null,
        startedAt: new Date(m.startedAt).toISOString(),
        distanceM: m.distanceM,
        energyWh: m.energyWh,
      },
    })
  }
  return { type: 'FeatureCollection', features }
}
