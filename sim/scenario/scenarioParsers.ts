/**
 * Parsers for the scenario nodes marked `x-parser`: quantities with units,
 * times, positions, directions, drone selections, thresholds. Each returns
 * the SI value or throws Invalid (or UnitError) with a message that names
 * what is wrong; the loader adds the field and line.
 */
import { DronefleetError, ErrorCodes, showValue } from '../../protocol/errors.js'
import type { LatLon } from '../../protocol/geo.js'
import { describeDimension, parseQuantity, type Dimension } from '../../protocol/units.js'
import type { DroneSelection, Expectation } from './Scenario.js'
import { closest } from './checkStructure.js'
import { DEFAULT_START } from './scenarioDefaults.js'
import { COMPASS_POINTS, ID_PATTERN, ISO_TIME_PATTERN, SELECTION_PATTERN, THRESHOLD_PATTERN } from './scenarioPatterns.js'
import type { SchemaNode } from './schemaAt.js'
import type { ParserKind } from './schemaNodes.js'

/** Converts one `x-parser` node. */
export function parseNode(kind: ParserKind, value: unknown, schema: SchemaNode): unknown {
  switch (kind) {
    case 'instant':
      return parseInstant(value)
    case 'speedFactor':
      return parseSpeedFactor(value)
    case 'position':
      return parsePosition(value)
    case 'threshold':
      return parseThreshold(value)
    case 'direction':
      return parseDirection(value)
    case 'droneSelection':
      return parseDroneSelection(value)
    default:
      return parseBounded(value, kind, schema.anyOf?.[0] ?? {})
  }
}

/** A value that is not what its field takes; becomes an issue at that field. */
export class Invalid extends DronefleetError {
  constructor(message: string) {
    super(ErrorCodes.SCENARIO_INVALID, message)
    this.name = 'Invalid'
  }
}

function parseBounded(value: unknown, dim: Dimension, b: SchemaNode): number {
  const n = parseQuantity(value, dim)
  const all: Array<[number | undefined, string, boolean]> = [
    [b.minimum, '≥', n >= (b.minimum ?? -Infinity)],
    [b.exclusiveMinimum, '>', n > (b.exclusiveMinimum ?? -Infinity)],
    [b.maximum, '≤', n <= (b.maximum ?? Infinity)],
    [b.exclusiveMaximum, '<', n < (b.exclusiveMaximum ?? Infinity)],
  ]
  const limits = all.filter((x): x is [number, string, boolean] => x[0] !== undefined)
  if (limits.every(([, , ok]) => ok)) return n
  const show = (l: number) => (dim === 'fraction' ? `${l} (${l * 100}%)` : String(l))
  const range = limits.map(([l, op]) => `${op} ${show(l)}`).join(' and ')
  throw new Invalid(`must be ${describeDimension(dim).noun} ${range}, got ${showValue(value)}`)
}

function parseInstant(value: unknown): number {
  // A YAML 1.1 parser would hand over a Date; ours (YAML 1.2) hands over the string.
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string' && new RegExp(ISO_TIME_PATTERN).test(value)
        ? Date.parse(value)
        : NaN
  if (!Number.isFinite(ms)) throw new Invalid(`must be an ISO 8601 time with a zone, e.g. ${DEFAULT_START}, got ${showValue(value)}`)
  return ms
}

function parseSpeedFactor(value: unknown): number | 'max' {
  if (value === 'max') return value
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value
  throw new Invalid(`must be "max" or a multiple of real time > 0 (e.g. 10), got ${showValue(value)}`)
}

/** Other names people give the two keys (GeoJSON, Leaflet, Google Maps). */
const POSITION_ALIASES: Record<string, string> = { lng: 'lon', long: 'lon', longitude: 'lon', latitude: 'lat' }

function parsePosition(value: unknown): LatLon {
  const shape = `must be [lat, lon] or {lat: …, lon: …}, got ${showValue(value)}`
  let lat: unknown, lon: unknown
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new Invalid(shape)
    ;[lat, lon] = value
  } else if (isRecord(value)) {
    for (const k of Object.keys(value)) {
      if (k !== 'lat' && k !== 'lon') {
        const close = POSITION_ALIASES[k.toLowerCase()] ?? closest(k, ['lat', 'lon'])
        const hint = close ? `did you mean "${close}"? ` : ''
        throw new Invalid(`unknown key "${k}" in a position; ${hint}write [lat, lon] or {lat: …, lon: …}`)
      }
    }
    ;({ lat, lon } = value)
  } else throw new Invalid(shape)
  if (typeof lat !== 'number' || typeof lon !== 'number') throw new Invalid(`${shape}; lat and lon must be numbers`)
  if (!(Math.abs(lat) <= 90)) {
    const swapped = Math.abs(lon) <= 90 ? ' (is it [lon, lat]? positions are [lat, lon])' : ''
    throw new Invalid(`latitude must be in -90..90, got ${lat}${swapped}`)
  }
  if (!(Math.abs(lon) <= 180)) throw new Invalid(`longitude must be in -180..180, got ${lon}`)
  return { lat, lon }
}

function parseThreshold(value: unknown): { op: Expectation['op']; value: number } {
  if (typeof value === 'number' && Number.isFinite(value)) return { op: '==', value }
  const m = typeof value === 'string' ? new RegExp(THRESHOLD_PATTERN).exec(value) : null
  if (m === null) throw new Invalid(`must be "<op> <number>" with op one of >=, <=, >, <, ==, got ${showValue(value)}`)
  return { op: (m[1] ?? '==') as Expectation['op'], value: Number(m[2]) }
}

/** Degrees clockwise from north: a number, "270 deg", "270°", or a compass point. */
function parseDirection(value: unknown): number {
  const shape = `must be a direction: degrees 0..360 (e.g. 270 or "270 deg") or a compass point (${COMPASS_POINTS.join(', ')}), got ${showValue(value)}`
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && value <= 360) return value % 360
    throw new Invalid(shape)
  }
  if (typeof value !== 'string') throw new Invalid(shape)
  const v = value.trim()
  const point = COMPASS_POINTS.indexOf(v.toUpperCase() as (typeof COMPASS_POINTS)[number])
  if (point >= 0) return point * 22.5
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*(deg|°)?$/.exec(v)
  const n = m ? Number(m[1]) : NaN
  if (n >= 0 && n <= 360) return n % 360
  throw new Invalid(shape)
}

function parseDroneSelection(value: unknown): DroneSelection {
  const shape = `must be a count of drones (3), a share of the fleet ("10%") or a list of drone ids ([d-1, d-7]), got ${showValue(value)}`
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 1) return { kind: 'count', count: value }
    throw new Invalid(shape)
  }
  if (typeof value === 'string') {
    const m = new RegExp(SELECTION_PATTERN).exec(value)
    const pct = m ? Number(m[1]) : NaN
    if (pct > 0 && pct <= 100) return { kind: 'share', fraction: pct / 100 }
    throw new Invalid(pct === 0 || pct > 100 ? `a share of the fleet must be in (0%, 100%], got ${showValue(value)}` : shape)
  }
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && new RegExp(ID_PATTERN).test(v))) {
    return { kind: 'ids', ids: [...new Set(value as string[])] }
  }
  throw new Invalid(shape)
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
