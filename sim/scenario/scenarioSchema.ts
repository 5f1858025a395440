/**
 * The one schema of a scenario YAML document. ajv validates the structure
 * (keys, types, integers, required fields) against it; nodes marked with
 * `x-parser` (quantities with units, positions, thresholds…) are converted
 * and checked by sim/loadScenario.ts, which gives better messages than a
 * failed `anyOf` can. The same schema, written out as
 * scenarios/scenario.schema.json, lets editors complete and check files.
 * Its sections are built in their own files (droneSchema.ts, demandSchema.ts, …).
 */
import { Type } from '@sinclair/typebox'
import { DEFAULT_REGION } from '../../protocol/topics.js'
import { demandSchema } from './demandSchema.js'
import { droneSchema } from './droneSchema.js'
import { expectSchema } from './expectSchema.js'
import { faultSchema } from './faultSchema.js'
import { regionSchema } from './regionSchema.js'
import { DEFAULT_START, DEFAULT_TICK_S } from './scenarioDefaults.js'
import { ID_PATTERN, ISO_TIME_PATTERN } from './scenarioPatterns.js'
import { Direction, NON_NEGATIVE, POSITIVE, Position, Quantity, X_PARSER } from './schemaNodes.js'
import { worldSchema } from './worldSchema.js'
import { zoneSchema } from './zoneSchema.js'

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
    drone: Type.Optional(droneSchema),
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
    demand: demandSchema,
    wind: Type.Optional(
      Type.Object(
        { speed: Quantity('speed', 'Wind speed', NON_NEGATIVE), from: Direction('Where the wind blows from') },
        {
          additionalProperties: false,
          description:
            'A steady wind. Ground speed follows from the wind triangle; a leg whose crosswind reaches the airspeed cannot be flown.',
        },
      ),
    ),
    world: Type.Optional(worldSchema),
    regions: Type.Optional(
      Type.Array(regionSchema, {
        minItems: 1,
        description: `Named polygons that partition the world among engines. A depot belongs to the region containing it (each depot must lie in one), a drone to its depot's region, a request to its pickup's. Default: one region, "${DEFAULT_REGION}", the whole world.`,
      }),
    ),
    zones: Type.Optional(
      Type.Array(zoneSchema, {
        description:
          'No-fly zones (airports, stadiums) and watched zones. The engine routes around no-fly zones and the gateway refuses requests into them; drop-offs are drawn outside them.',
      }),
    ),
    faults: Type.Optional(
      Type.Array(faultSchema, { description: 'Faults on a timeline: what fails, when, for how long, on which drones.' }),
    ),
    expect: Type.Optional(expectSchema),
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
