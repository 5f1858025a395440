/**
 * Builders of the scenario schema's recurring nodes: quantities with units,
 * positions, directions, drone selections. Each is marked with `x-parser`,
 * so the loader converts and checks the value itself (sim/scenario/scenarioParsers.ts).
 */
import { Type, type TProperties } from '@sinclair/typebox'
import { describeDimension, quantityPattern, type Dimension } from '../../protocol/units.js'
import { DIRECTION_PATTERN, ID_PATTERN, SELECTION_PATTERN } from './scenarioPatterns.js'

/** Annotation naming how the loader parses a node; ajv ignores it. */
export const X_PARSER = 'x-parser'
export type ParserKind = Dimension | 'instant' | 'speedFactor' | 'position' | 'threshold' | 'direction' | 'droneSelection'

export type Bounds = { minimum?: number; exclusiveMinimum?: number; maximum?: number; exclusiveMaximum?: number }
export const POSITIVE: Bounds = { exclusiveMinimum: 0 }
export const NON_NEGATIVE: Bounds = { minimum: 0 }

/** A number in the base unit, or a string with a unit; bounds apply to the base-unit value. */
export function Quantity(dim: Dimension, what: string, bounds: Bounds, dflt?: number) {
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

export const Position = (what: string) =>
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

export const Direction = (what: string) =>
  Type.Union([Type.Number({ minimum: 0, maximum: 360 }), Type.String({ pattern: DIRECTION_PATTERN })], {
    description: `${what}: degrees clockwise from north (0..360, e.g. 270 or "270 deg"), or a compass point such as "W" or "NNE".`,
    [X_PARSER]: 'direction',
  })

export const DroneSelection = Type.Union(
  [
    Type.Integer({ minimum: 1 }),
    Type.String({ pattern: SELECTION_PATTERN }),
    Type.Array(Type.String({ pattern: ID_PATTERN }), { minItems: 1 }),
  ],
  {
    description:
      'Which drones: a count (3), a share of the fleet ("10%"), or a list of ids ([d-1, d-7]). Default: all drones (one for droneFailure).',
    [X_PARSER]: 'droneSelection',
  },
)

/** A map of optional quantities: key → [dimension, bounds, meaning, default]. */
export function QuantityMap(keys: Record<string, readonly [Dimension, Bounds, string, number?]>, description: string) {
  return Type.Optional(
    Type.Object(
      Object.fromEntries(
        Object.entries(keys).map(([key, [dim, bounds, what, dflt]]) => [key, Type.Optional(Quantity(dim, what, bounds, dflt))]),
      ) as TProperties,
      { additionalProperties: false, description },
    ),
  )
}
