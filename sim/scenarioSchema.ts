/**
 * The one schema of a scenario YAML document. ajv validates the structure
 * (keys, types, integers, required fields) against it; nodes marked with
 * `x-parser` (quantities with units, positions, thresholds…) are converted
 * and checked by sim/loadScenario.ts, which gives better messages than a
 * failed `anyOf` can. The same schema, written out as
 * scenarios/scenario.schema.json, lets editors complete and check files.
 */
import { Type, type TProperties } from '@sinclair/typebox'
import { MAX_ZONE_POINTS } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { describeDimension, quantityPattern, type Dimension } from '../protocol/units.js'
import { SUMMARY_FIGURES } from './summaryFigures.js'

/** Annotation naming how the loader parses a node; ajv ignores it. */
export const X_PARSER = 'x-parser'
export type ParserKind = Dimension | 'instant' | 'speedFactor' | 'position' | 'threshold' | 'direction' | 'droneSelection'

export const DEFAULT_START = '2026-01-05T09:00:00Z'
export const DEFAULT_TICK_S = 1
export const DEFAULT_WEIGHT_KG = { min: 0.2, max: 2 } as const
export const DEFAULT_DEADLINE_S = 45 * 60
/** Farther than this from the demand area's center, a depot is almost surely a typo. */
export const MAX_DEPOT_DISTANCE_M = 50_000

export const ISO_TIME_PATTERN = String.raw`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$`
export const THRESHOLD_PATTERN = String.raw`^\s*(>=|<=|==|>|<)?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$`
export const ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$'
export const COMPASS_POINTS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'] as const
export const DIRECTION_PATTERN = String.raw`^\s*((\d+(\.\d*)?|\.\d+)\s*(deg|°)?|N|NNE|NE|ENE|E|ESE|SE|SSE|S|SSW|SW|WSW|W|WNW|NW|NNW)\s*$`
export const SELECTION_PATTERN = String.raw`^\s*(\d+(\.\d*)?|\.\d+)\s*%\s*$`
export const FAULT_TYPES = ['droneFailure', 'gpsNoise', 'gpsDropout', 'telemetryLoss', 'telemetryDelay', 'batteryDrain', 'brokerOutage'] as const

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
  swapTime: ['swapS', 'time', NON_NEGATIVE, 'Battery swap time at a depot; 0 charges at chargePower instead'],
  consumptionSpeed: ['refSpeedMps', 'speed', POSITIVE, 'Airspeed at which consumption and payloadConsumption hold; per-km consumption grows with the square of cruiseSpeed over it'],
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

const Direction = (what: string) =>
  Type.Union([Type.Number({ minimum: 0, maximum: 360 }), Type.String({ pattern: DIRECTION_PATTERN })], {
    description: `${what}: degrees clockwise from north (0..360, e.g. 270 or "270 deg"), or a compass point such as "W" or "NNE".`,
    [X_PARSER]: 'direction',
  })

const DroneSelection = Type.Union(
  [Type.Integer({ minimum: 1 }), Type.String({ pattern: SELECTION_PATTERN }), Type.Array(Type.String({ pattern: ID_PATTERN }), { minItems: 1 })],
  {
    description: 'Which drones: a count (3), a share of the fleet ("10%"), or a list of ids ([d-1, d-7]). Default: all drones (one for droneFailure).',
    [X_PARSER]: 'droneSelection',
  },
)

const faultSchema = Type.Object(
  {
    type: Type.Unsafe<string>({ type: 'string', enum: [...FAULT_TYPES], description: `What goes wrong: ${FAULT_TYPES.join(', ')}.` }),
    at: Quantity('time', 'When it starts, after the start of the run', NON_NEGATIVE),
    for: Type.Optional(Quantity('time', 'How long it lasts (default: to the end of the run; not for droneFailure)', POSITIVE)),
    drones: Type.Optional(DroneSelection),
    sigma: Type.Optional(Quantity('length', 'gpsNoise: standard deviation of the position error', POSITIVE)),
    fraction: Type.Optional(Quantity('fraction', 'telemetryLoss: share of samples lost', { exclusiveMinimum: 0, maximum: 1 })),
    delay: Type.Optional(Quantity('time', 'telemetryDelay: how late samples arrive', POSITIVE)),
    factor: Type.Optional(Type.Number({ exclusiveMinimum: 1, description: 'batteryDrain: how many times faster the battery drains (2 = twice as fast).' })),
  },
  { additionalProperties: false, description: 'A fault on the timeline.' },
)

const zoneSchema = Type.Object(
  {
    id: Type.String({ pattern: ID_PATTERN, description: 'Unique id: 1-64 letters, digits, ".", "_" or "-"; the engine and GET /v1/zones know the zone by it.' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Name shown in messages and the report (default: the id).' })),
    polygon: Type.Array(Position('A corner of the zone'), {
      minItems: 3, maxItems: MAX_ZONE_POINTS + 1,
      description: `Corners of the zone in order (closing the ring is optional), at most ${MAX_ZONE_POINTS}; no crossing edges, at most 100 km across.`,
    }),
    noFly: Type.Optional(Type.Boolean({ default: true, description: 'true: routes keep clear and requests with a pickup or drop-off inside are refused; false: only watched (geofence events).' })),
  },
  { additionalProperties: false, description: 'A zone on the map.' },
)

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
        rate: Quantity('rate', 'Mean delivery requests (Poisson arrivals) from the start', POSITIVE),
        phases: Type.Optional(
          Type.Array(
            Type.Object(
              { at: Quantity('time', 'When this rate takes over, after the start', NON_NEGATIVE), rate: Quantity('rate', 'Mean requests from then on', NON_NEGATIVE) },
              { additionalProperties: false },
            ),
            { minItems: 1, description: 'Changes of the rate over the run (e.g. a lunch rush), in time order.' },
          ),
        ),
        area: Type.Object(
          {
            center: Type.Optional(Position('Center of the delivery area')),
            radius: Type.Optional(Quantity('length', 'Radius of the delivery area', POSITIVE)),
            polygon: Type.Optional(
              Type.Array(Position('A corner of the delivery area'), { minItems: 3, description: 'Corners of the delivery area, in order; drop-offs are uniform inside.' }),
            ),
          },
          { additionalProperties: false, description: 'The delivery area: a circle {center, radius} or a polygon {polygon}. Drop-offs are uniform in it unless hotspots are given.' },
        ),
        hotspots: Type.Optional(
          Type.Array(
            Type.Object(
              {
                center: Position('Center of the hotspot'),
                radius: Quantity('length', 'Drop-offs are uniform within this radius of the center', POSITIVE),
                weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Relative share of drop-offs.' })),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, description: 'Drop-offs cluster around these, chosen by weight, instead of spreading over the area.' },
          ),
        ),
        pickups: Type.Optional(
          Type.Array(
            Type.Object(
              {
                position: Position('Where packages are picked up'),
                weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Relative share of pickups.' })),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, description: 'Pickup points (shops, kitchens), chosen by weight. Default: the depots that have drones.' },
          ),
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
    wind: Type.Optional(
      Type.Object(
        { speed: Quantity('speed', 'Wind speed', NON_NEGATIVE), from: Direction('Where the wind blows from') },
        { additionalProperties: false, description: 'A steady wind. Ground speed follows from the wind triangle; a leg whose crosswind reaches the airspeed cannot be flown.' },
      ),
    ),
    zones: Type.Optional(Type.Array(zoneSchema, { description: 'No-fly zones (airports, stadiums) and watched zones. The engine routes around no-fly zones and the gateway refuses requests into them; drop-offs are drawn outside them.' })),
    faults: Type.Optional(Type.Array(faultSchema, { description: 'Faults on a timeline: what fails, when, for how long, on which drones.' })),
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

export type Path = Array<string | number>

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
