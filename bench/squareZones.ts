import type { Zone } from '../protocol/geo.js'

/** Degrees of latitude per metre. */
const M = 1 / 111_195

/**
 * `n` square zones of 100–300 m scattered over the benches' 22 × 15 km of
 * Seattle, every other one a no-fly zone; the same for the same `rng`.
 */
export function squareZones(rng: () => number, n: number): Zone[] {
  const out: Zone[] = []
  for (let i = 0; i < n; i++) {
    const lat = 47.5 + rng() * 0.2,
      lon = -122.4 + rng() * 0.2
    const s = (100 + rng() * 200) * M
    const sLon = s / Math.cos((lat * Math.PI) / 180)
    out.push({
      id: `z-${i}`,
      noFly: i % 2 === 0,
      polygon: [
        { lat, lon },
        { lat, lon: lon + sLon },
        { lat: lat + s, lon: lon + sLon },
        { lat: lat + s, lon },
      ],
    })
  }
  return out
}
