/**
 * The one schema of a scenario YAML document. ajv validates the structure
 * (keys, types, integers, required fields) against it; nodes marked with
 * `x-parser` (quantities with units, positions, thresholds…) are converted
 * and checked by sim/loadScenario.ts, which gives better messages than a
 * failed `anyOf` can. The same schema, written out as
 * scenarios/scenario.schema.json, lets editors complete and check files.
 */
import { Type, type TProperties } from '@sinclair/typebox'
import { Ajv, type ErrorObject } from 'ajv'
import { showValue } from '../protocol/errors.js'
import type { DroneProfile } from '../protocol/profile.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { describeDimension, quantityPattern, type Dimension } from '../protocol/units.js'
import { SUMMARY_FIGURES } from './summaryFigures.js'

/** Annotation naming how the loader parses a node; ajv ignores it. */
export const X_PARSER = 'x-parser'
export type ParserKind = Dimension | 'instant' | 'speedFactor' | 'position' | 'threshold'

export const DEFAULT_START = '2026-01-05T09:00:00Z'
export const DEFAULT_TICK_S = 1
export const DEFAULT_WEIGHT_KG = { min: 0.2, max: 2 } as const
export const DEFAULT_DEADLINE_S = 45 * 60
/** Farther than this from the demand area's center, a depot is almost surely a typo. */
export const MAX_DEPOT_DISTANCE_M = 50_000

export const ISO_TIME_PATTERN = String.raw`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$`
export const THRESHOLD_PATTERN = String.raw`^\s*(>=|<=|==|>|<)?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$`
export const ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$'

export type Bounds = { minimum?: number; exclusiveMinimum?: number; maximum?: number; exclusiveMaximum?: number }
const POSITIVE: Bounds = { exclusiveMinimum: 0 }
const NON_NEGATIVE: Bounds = { minimum: 0 }

/** A number in the base unit, or a string with a unit; bounds apply to the base-unit value. */
function Quantity(dim: Dimension, what: string, bounds: Bounds, dflt?: number) {
  const d = describeDimension(dim)
  const base = d.base === '' ? 'a number 0..1' : `a number in ${d.base}`
  return Type.Union([Type.Number(bounds), Type.String({ pattern: quantityPattern(dim) })], {
    description: `${what}. ${cap(d.noun)}: ${base}, or a string with a unit (${d.units}), e.g. "${d.example}".`,
    [X_PARSER]: dim,
    ...(dflt === undefined ? {} : { default: dflt }),
  })
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

const Position = (what: string) =>
  Type.Union(
    [
      Type.Tuple([Type.Number({ minimum: -90, maximum: 90 }), Type.Number({ minimum: -180, maximum: 180 })]),
      Type.Object(
        { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
        { additionalProperties: false },
      ),
    ],
    { description: `${what}: [lat, lon] or {lat: …, lon: …}, WGS84 degrees.`, [X_PARSER]: 'position' },
  )

/** YAML key → DroneProfile field, dimension, bounds and meaning. */
export const DRONE_KEYS = {
  cruiseSpeed: ['cruiseSpeedMps', 'speed', POSITIVE, 'Airspeed in cruise'],
  cruiseAltitude: ['cruiseAltitudeM', 'length', POSITIVE, 'Cruise altitude above ground'],
  climbRate: ['climbRateMps', 'speed', POSITIVE, 'Climb and descent rate'],
  battery: ['batteryWh', 'energy', POSITIVE, 'Usable battery energy'],
  reserve: ['reserve', 'fraction', { minimum: 0, exclusiveMaximum: 1 }, 'Battery fraction that must remain at the end of any plan'],
  consumption: ['whPerKm', 'energyPerDistance', POSITIVE, 'Cruise consumption of the empty drone'],
  payloadConsumption: ['whPerKgKm', 'energyPerMassDistance', NON_NEGATIVE, 'Extra cruise consumption per kg of payload'],
  hoverPower: ['hoverW', 'power', POSITIVE, 'Power drawn while hovering, climbing or descending'],
  maxPayload: ['maxPayloadKg', 'mass', POSITIVE, 'Heaviest package the drone can carry'],
  handling: ['handlingS', 'time', NON_NEGATIVE, 'Time hovering at a pickup or drop-off to load or release'],
  chargePower: ['chargeW', 'power', POSITIVE, 'Charging power at a depot'],
} as const satisfies Record<string, readonly [keyof DroneProfile, Dimension, Bounds, string]>

const droneProperties = Object.fromEntries(
  Object.entries(DRONE_KEYS).map(([key, [field, dim, bounds, what]]) => [
    key,
    Type.Optional(Quantity(dim, what, bounds, DEFAULT_PROFILE[field])),
  ]),
) as TProperties

const expectProperties = Object.fromEntries(
  Object.entries(SUMMARY_FIGURES).map(([figure, meaning]) => [
    figure,
    Type.Optional(
      Type.Union([Type.Number(), Type.String({ pattern: THRESHOLD_PATTERN })], {
        description: `Threshold on ${meaning}: "<op> <number>" with op one of >=, <=, >, <, ==; a bare number means ==.`,
        [X_PARSER]: 'threshold',
      }),
    ),
  ]),
) as TProperties

export const scenarioSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Name of the scenario, shown in results and reports.' }),
    seed: Type.Integer({ minimum: 0, description: 'Seed of every random stream; the same seed gives the same run.' }),
    start: Type.Optional(
      Type.String({
        pattern: ISO_TIME_PATTERN,
        description: 'Simulated start time, ISO 8601 with a time zone, e.g. 2026-01-05T09:00:00Z.',
        default: DEFAULT_START,
        [X_PARSER]: 'instant',
      }),
    ),
    duration: Quantity('time', 'How long to simulate', POSITIVE),
    speed: Type.Optional(
      Type.Union([Type.Literal('max'), Type.Number({ exclusiveMinimum: 0 })], {
        description: 'Multiple of real time (e.g. 10), or "max" for as fast as the engine keeps up.',
        default: 'max',
        [X_PARSER]: 'speedFactor',
      }),
    ),
    tick: Type.Optional(Quantity('time', 'Simulation step and telemetry interval', POSITIVE, DEFAULT_TICK_S)),
    drone: Type.Optional(
      Type.Object(droneProperties, {
        additionalProperties: false,
        description: 'Performance of every drone; each key is optional and defaults to a small delivery quadcopter.',
      }),
    ),
    depots: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: ID_PATTERN, description: 'Unique id: 1-64 letters, digits, ".", "_" or "-".' }),
          position: Position('Where the depot is'),
          drones: Type.Integer({ minimum: 0, description: 'Drones based at this depot at the start.' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, description: 'Where drones are based, charge and return to. At least one.' },
    ),
    demand: Type.Object(
      {
        rate: Quantity('rate', 'Mean delivery requests (Poisson arrivals)', POSITIVE),
        area: Type.Object(
          { center: Position('Center of the delivery area'), radius: Quantity('length', 'Radius of the delivery area', POSITIVE) },
          { additionalProperties: false, description: 'Drop-offs are uniform in this circle.' },
        ),
        weight: Type.Optional(
          Type.Object(
            {
              min: Quantity('mass', 'Lightest package', NON_NEGATIVE, DEFAULT_WEIGHT_KG.min),
              max: Quantity('mass', 'Heaviest package, at most drone.maxPayload', POSITIVE, DEFAULT_WEIGHT_KG.max),
            },
            { additionalProperties: false, description: 'Package weight, uniform in [min, max].' },
          ),
        ),
        deadline: Type.Optional(Quantity('time', 'Deadline after the request', POSITIVE, DEFAULT_DEADLINE_S)),
      },
      { additionalProperties: false, description: 'The stream of delivery requests.' },
    ),
    expect: Type.Optional(
      Type.Object(expectProperties, {
        additionalProperties: false,
        description: 'Thresholds on summary figures; `dronefleet run` exits 1 when one fails.',
      }),
    ),
  },
  {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:dronefleet:scenario:v1',
    title: 'dronefleet scenario',
    description: 'A dronefleet scenario: depots, drones, demand and expectations. See scenarios/README.md.',
    additionalProperties: false,
  },
)

/** The schema as the JSON text of scenarios/scenario.schema.json. */
export function scenarioSchemaJson(): string {
  return `${JSON.stringify(scenarioSchema, null, 2)}\n`
}

const ajv = new Ajv({ allErrors: true, strict: true, keywords: [X_PARSER] })
const check = ajv.compile(scenarioSchema)

export type Path = Array<string | number>

/** A structural problem; `at` says which YAML node to point at. */
export interface SchemaIssue {
  path: Path
  at: 'value' | 'key' | 'parent'
  value: unknown
  message: string
}

/** Validates the document's structure; problems inside `x-parser` nodes are left to the loader. */
export function checkStructure(doc: unknown): SchemaIssue[] {
  if (check(doc)) return []
  const issues: SchemaIssue[] = []
  const seen = new Set<string>()
  for (const e of check.errors ?? []) {
    const path = toPath(e.instancePath, doc)
    if (insideParsedNode(path)) continue
    const issue = translate(e, path, valueAt(doc, path))
    const id = `${issue.path.join('.')}\0${issue.message}`
    if (!seen.has(id)) issues.push(issue)
    seen.add(id)
  }
  return issues
}

function translate(e: ErrorObject, path: Path, value: unknown): SchemaIssue {
  const p = e.params as Record<string, unknown>
  const integer = schemaAt(path)?.type === 'integer'
  const kind = integer ? 'an integer' : 'a number'
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(p.missingProperty)], at: 'parent', value: undefined, message: `missing required key "${String(p.missingProperty)}"` }
    case 'additionalProperties': {
      const key = String(p.additionalProperty)
      const known = Object.keys(schemaAt(path)?.properties ?? {})
      const close = closest(key, known)
      const hint = close ? `did you mean "${close}"?` : `known keys: ${known.join(', ')}`
      return { path: [...path, key], at: 'key', value: key, message: `unknown key "${key}"; ${hint}` }
    }
    case 'type':
      if (path.length === 0) return { path, at: 'value', value, message: `a scenario must be a map of keys (name, seed, duration, depots, demand…), got ${showValue(value)}` }
      return { path, at: 'value', value, message: `must be ${TYPE_NOUNS[String(p.type)] ?? String(p.type)}, got ${showValue(value)}` }
    case 'minimum':
      return { path, at: 'value', value, message: `must be ${kind} ≥ ${String(p.limit)}, got ${showValue(value)}` }
    case 'exclusiveMinimum':
      return { path, at: 'value', value, message: `must be ${kind} > ${String(p.limit)}, got ${showValue(value)}` }
    case 'maximum':
      return { path, at: 'value', value, message: `must be ${kind} ≤ ${String(p.limit)}, got ${showValue(value)}` }
    case 'minItems':
      return { path, at: 'value', value, message: `must list at least ${String(p.limit)}, got ${Array.isArray(value) ? value.length : 0}` }
    case 'minLength':
      return { path, at: 'value', value, message: 'must not be empty' }
    case 'pattern':
      if (p.pattern === ID_PATTERN) return { path, at: 'value', value, message: `must be 1-64 letters, digits, ".", "_" or "-", got ${showValue(value)}` }
      return { path, at: 'value', value, message: `must match ${String(p.pattern)}, got ${showValue(value)}` }
    default:
      return { path, at: 'value', value, message: `${e.message ?? 'is invalid'}, got ${showValue(value)}` }
  }
}

const TYPE_NOUNS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'a map of keys',
  array: 'a list',
  boolean: 'true or false',
}

export interface SchemaNode extends Bounds {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode | SchemaNode[]
  anyOf?: SchemaNode[]
  [X_PARSER]?: ParserKind
}

/** The schema node describing `path`, following properties and list items. */
export function schemaAt(path: Path): SchemaNode | undefined {
  let node: SchemaNode | undefined = scenarioSchema as unknown as SchemaNode
  for (const seg of path) {
    if (node === undefined || node[X_PARSER] !== undefined) return undefined
    node = typeof seg === 'number' ? (Array.isArray(node.items) ? node.items[seg] : node.items) : node.properties?.[seg]
  }
  return node
}

function insideParsedNode(path: Path): boolean {
  for (let i = 0; i <= path.length; i++) if (schemaAt(path.slice(0, i))?.[X_PARSER] !== undefined) return true
  return false
}

/** JSON pointer → path, with list indices as numbers (so they print as `depots[1]`). */
function toPath(pointer: string, doc: unknown): Path {
  const path: Path = []
  let here = doc
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const key = Array.isArray(here) && /^\d+$/.test(seg) ? Number(seg) : seg
    path.push(key)
    here = here !== null && typeof here === 'object' ? (here as Record<string | number, unknown>)[key] : undefined
  }
  return path
}

export function valueAt(doc: unknown, path: Path): unknown {
  let here = doc
  for (const seg of path) here = here !== null && typeof here === 'object' ? (here as Record<string | number, unknown>)[seg] : undefined
  return here
}

/** The known key nearest to a misspelt one, if it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Math.max(1, Math.floor(key.length / 4)) + 1
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase())
    if (d < bestD) [best, bestD] = [k, d]
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}
