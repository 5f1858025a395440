import { basemapFromEnv } from '../gateway/basemap.js'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { RegionMap } from '../protocol/RegionMap.js'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import { topics } from '../protocol/topics.js'
import { createLogger } from './logger.js'
import { simulateWithProgress } from './simulateWithProgress.js'

export interface SimFlags {
  broker: string
  gateway: string
  apiKey?: string
  seed?: number
  speed?: number | 'max'
  workers: number
  /** Seconds of connected time to wait for the engine to confirm a tick (a service restarting) before giving up. */
  engineTimeout: number
  out?: string
  prefix?: string
  /** Simulated start, ms since the epoch, or the scenario's own; default: now. */
  start?: number | 'scenario'
  /** Only these regions of the scenario: their depots' drones and the demand picked up in them. */
  regions?: string[]
}

/**
 * `dronefleet sim`: the simulator alone, against a running `serve` (with
 * `--regions`, one of several that fly a fleet between them). It
 * starts at the present unless told otherwise: the service's engine, its
 * deadlines and its tracking live on today's clock, and a simulation dated
 * elsewhere would be judged against it (`run` keeps the scenario's start).
 */
export async function simCommand(file: string, flags: SimFlags): Promise<number> {
  const loaded = await loadScenario(file)
  const basemap = basemapFromEnv(process.env)
  if (flags.regions) {
    const known = new RegionMap(loaded.regions).ids
    const unknown = flags.regions.filter((r) => !known.includes(r))
    if (unknown.length > 0)
      throw new DronefleetError(
        ErrorCodes.FLAG_INVALID,
        `--regions must name regions of ${file} (${known.join(', ')}), got ${unknown.map((r) => `"${r}"`).join(', ')}`,
        '--regions',
        unknown.join(','),
      )
  }
  const start = flags.start === 'scenario' ? loaded.start : (flags.start ?? Math.floor(Date.now() / 1000) * 1000)
  const scenario = { ...loaded, start, ...(flags.seed === undefined ? {} : { seed: flags.seed }) }
  return simulateWithProgress({
    scenario,
    brokerUrl: flags.broker,
    gatewayUrl: flags.gateway,
    apiKey: flags.apiKey ?? null,
    topics: topics(flags.prefix),
    regions: flags.regions,
    workers: flags.workers,
    speed: flags.speed,
    engineTimeoutMs: flags.engineTimeout * 1000,
    out: flags.out,
    logger: createLogger('warn'),
    basemap,
  })
}
