import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import type { OptionChecker } from '../protocol/OptionChecker.js'

/**
 * A map background for the pages: raster tiles from a URL template the
 * operator names, `https://tiles.example/{z}/{x}/{y}.png` (Web Mercator,
 * 256 px). There is none by default, and the pages then fetch nothing from
 * anywhere else: a browser asks the tile server only when one is configured.
 */
export interface Basemap {
  /** The template, with `{z}`, `{x}` and `{y}`. */
  tiles: string
  /** Shown on the map, as most tile servers require (e.g. "© OpenStreetMap contributors"). */
  attribution: string
}

/** What is wrong with a tile URL template, or undefined when it is usable. */
export function basemapProblem(tiles: unknown): string | undefined {
  if (typeof tiles !== 'string' || tiles === '') return 'a tile URL template such as https://tiles.example/{z}/{x}/{y}.png'
  for (const p of ['{z}', '{x}', '{y}']) if (!tiles.includes(p)) return `a tile URL template with ${p} in it`
  if (/[{}]/.test(tiles.replace(/\{[zxy]\}/g, ''))) return 'a tile URL template whose only placeholders are {z}, {x} and {y}'
  let url: URL
  try {
    url = new URL(tiles.replace(/\{[zxy]\}/g, '0'))
  } catch {
    return 'an absolute http:// or https:// tile URL template'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'an absolute http:// or https:// tile URL template'
  if (url.username || url.password) return 'a tile URL template without credentials (every viewer sees it)'
  return undefined
}

/** The origin tiles come from, for the pages' Content-Security-Policy. */
export function basemapOrigin(b: Basemap): string {
  return new URL(b.tiles.replace(/\{[zxy]\}/g, '0')).origin
}

/** The gateway option `basemap`, checked: null (the default) or a usable template. */
export function checkBasemap(check: OptionChecker, value: unknown): Basemap | null {
  if (value === undefined || value === null) return null
  const b = value as Partial<Basemap>
  const problem = basemapProblem(b.tiles)
  if (problem) check.fail('basemap.tiles', b.tiles, problem)
  if (b.attribution !== undefined && (typeof b.attribution !== 'string' || b.attribution.length > 300))
    check.fail('basemap.attribution', b.attribution, 'a text of at most 300 characters')
  return Object.freeze({ tiles: b.tiles as string, attribution: b.attribution ?? '' })
}

/** DRONEFLEET_BASEMAP_URL (and DRONEFLEET_BASEMAP_ATTRIBUTION): null when unset; a bad template is DF_FLAG_INVALID naming the variable. */
export function basemapFromEnv(env: NodeJS.ProcessEnv): Basemap | null {
  const tiles = env.DRONEFLEET_BASEMAP_URL
  if (tiles === undefined || tiles === '') return null
  const problem = basemapProblem(tiles)
  if (problem)
    throw new DronefleetError(
      ErrorCodes.FLAG_INVALID,
      `DRONEFLEET_BASEMAP_URL must be ${problem}, got "${tiles}"`,
      'DRONEFLEET_BASEMAP_URL',
      tiles,
    )
  const attribution = env.DRONEFLEET_BASEMAP_ATTRIBUTION ?? ''
  if (attribution.length > 300)
    throw new DronefleetError(
      ErrorCodes.FLAG_INVALID,
      `DRONEFLEET_BASEMAP_ATTRIBUTION must be at most 300 characters, got ${attribution.length}`,
      'DRONEFLEET_BASEMAP_ATTRIBUTION',
      attribution,
    )
  return Object.freeze({ tiles, attribution })
}
