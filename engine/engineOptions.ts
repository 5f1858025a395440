import { MAX_DRONES } from '../protocol/bounds.js'
import type { LatLon, Zone } from '../protocol/geo.js'
import { OptionChecker } from '../protocol/OptionChecker.js'
import type { DroneProfile } from '../protocol/profile.js'
import { DEFAULT_EXIT_BAND_M } from './Geofences.js'
import type { WindField } from './groundSpeed.js'
import { DEFAULT_CLEARANCE_M } from './RoutePlanner.js'
import { resolveSupervisorOptions, type ResolvedSupervisorOptions, type SupervisorOptions } from './supervisorOptions.js'

/** The engine's tunables: each has a default, below. */
export interface EngineTunables {
  /** Horizontal distance at which a drone counts as at a pickup or drop-off, m. Default 30. */
  arrivalRadiusM?: number
  /** Register drones on their first sample (default) or ignore unknown ones. */
  autoRegister?: boolean
  /** At most this many drones are registered; samples of more are rejected, counted as `limit`. Default 100,000. */
  maxDrones?: number
  /** How far outside a zone a drone must be seen to have left it, m (geofence hysteresis). Default 30. */
  geofenceExitBandM?: number
  /** How far from no-fly zones routes keep, m. Default 60. */
  zoneClearanceM?: number
  /** How soon a drone must be due to release its package to be promised the next delivery, ms. Default 10 min. */
  soonMs?: number
  /** How long an ended delivery stays in the engine's memory, ms of event time (the store keeps it for good). Default 10 min. */
  retainTerminalMs?: number
  /** Prefix of the engine's command ids; a restarted engine takes another (its epoch) so ids never repeat. Default `c-`. */
  commandIdPrefix?: string
  /**
   * How the release of a package (pickup, delivery) is recognised from a
   * drone hovering at its target: `dwell` (default) once it has hovered the
   * profile's handling time there, or left; `departure` only once it leaves,
   * for drones whose handling takes as long as it takes (a customer who is
   * not at the door). Only with `departure` are handling times learned.
   */
  releaseOn?: 'dwell' | 'departure'
}

/** What the engine is told about the world, checked with the tunables. */
export interface EngineWorld {
  profile: DroneProfile
  /** Depots drones return to; when empty, a drone returns to where it was assigned. */
  depots: LatLon[]
  /** Zones known from the start (scenario or configuration); more arrive as AddZone requests. */
  zones?: Zone[]
  /** Wind for ground speeds in plans and ETAs; still air when absent. */
  wind?: WindField
  supervisor?: SupervisorOptions
}

type Filled = Required<EngineTunables> & { zones: Zone[]; supervisor: ResolvedSupervisorOptions }

/** `o` with every default filled in, frozen. */
export type ResolvedEngineOptions<O extends EngineTunables & EngineWorld> = Readonly<Omit<O, keyof Filled> & Filled>

/** Bounds of each DroneProfile field, as the scenario format has them (sim/scenario/scenarioSchema.ts). */
const PROFILE_RULES = {
  cruiseSpeedMps: { above: 0 },
  cruiseAltitudeM: { above: 0 },
  climbRateMps: { above: 0 },
  batteryWh: { above: 0 },
  reserve: { min: 0, below: 1 },
  whPerKm: { above: 0 },
  whPerKgKm: { min: 0 },
  hoverW: { above: 0 },
  maxPayloadKg: { above: 0 },
  handlingS: { min: 0 },
  chargeW: { above: 0 },
} as const
const OPTIONAL_PROFILE_RULES = { swapS: { min: 0 }, refSpeedMps: { above: 0 } } as const

/**
 * The Engine's options, checked once when it is made, with every default
 * filled in and frozen: a bad one (a negative silenceFactor, a handling time
 * that is not a number) is a DF_OPTION_INVALID error naming the option and
 * the value, never an engine that quietly misbehaves. Fields it does not
 * know (the MQTT adapter's) pass through unchanged.
 */
export function resolveEngineOptions<O extends EngineTunables & EngineWorld>(
  o: O,
  check = new OptionChecker('Engine'),
): ResolvedEngineOptions<O> {
  checkProfile(o.profile, check.at('profile'))
  if (!Array.isArray(o.depots)) check.fail('depots', o.depots, 'an array of {lat, lon}')
  o.depots.forEach((d, i) => checkLatLon(d, check, `depots[${i}]`))
  if (o.zones !== undefined && !Array.isArray(o.zones)) check.fail('zones', o.zones, 'an array of zones')
  if (o.wind !== undefined && typeof o.wind !== 'function') check.fail('wind', o.wind, 'a function (place, time) → wind')
  const filled: Filled = {
    arrivalRadiusM: check.number('arrivalRadiusM', o.arrivalRadiusM, 30, { above: 0 }),
    autoRegister: check.boolean('autoRegister', o.autoRegister, true),
    maxDrones: check.number('maxDrones', o.maxDrones, MAX_DRONES, { min: 1, integer: true }),
    geofenceExitBandM: check.number('geofenceExitBandM', o.geofenceExitBandM, DEFAULT_EXIT_BAND_M, { min: 0 }),
    zoneClearanceM: check.number('zoneClearanceM', o.zoneClearanceM, DEFAULT_CLEARANCE_M, { min: 0 }),
    soonMs: check.number('soonMs', o.soonMs, 600_000, { min: 0 }),
    retainTerminalMs: check.number('retainTerminalMs', o.retainTerminalMs, 600_000, { min: 0 }),
    commandIdPrefix:
      o.commandIdPrefix === undefined
        ? 'c-'
        : typeof o.commandIdPrefix === 'string'
          ? o.commandIdPrefix
          : check.fail('commandIdPrefix', o.commandIdPrefix, 'a string'),
    releaseOn:
      o.releaseOn === undefined || o.releaseOn === 'dwell' || o.releaseOn === 'departure'
        ? (o.releaseOn ?? 'dwell')
        : check.fail('releaseOn', o.releaseOn, '"dwell" or "departure"'),
    zones: o.zones ?? [],
    supervisor: resolveSupervisorOptions(o.supervisor, check.at('supervisor')),
  }
  return Object.freeze({ ...o, ...filled })
}

function checkProfile(p: DroneProfile, check: OptionChecker): void {
  if (typeof p !== 'object' || p === null) check.fail('', p, 'a drone profile')
  for (const [k, rule] of Object.entries(PROFILE_RULES)) check.number(k, p[k as keyof typeof PROFILE_RULES], undefined, rule)
  // Optional fields stay absent (they mean something: no swap, consumption measured at cruise speed).
  for (const [k, rule] of Object.entries(OPTIONAL_PROFILE_RULES)) check.number(k, p[k as keyof typeof OPTIONAL_PROFILE_RULES], 0, rule)
}

function checkLatLon(p: LatLon, check: OptionChecker, name: string): void {
  const ok =
    typeof p === 'object' &&
    p !== null &&
    typeof p.lat === 'number' &&
    typeof p.lon === 'number' &&
    Math.abs(p.lat) <= 90 &&
    Math.abs(p.lon) <= 180
  if (!ok) check.fail(name, p, '{lat: -90..90, lon: -180..180}')
}
