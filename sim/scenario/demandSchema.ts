import { Type } from '@sinclair/typebox'
import { DEFAULT_DEADLINE_S, DEFAULT_WEIGHT_KG } from './scenarioDefaults.js'
import { NON_NEGATIVE, POSITIVE, Position, Quantity } from './schemaNodes.js'

/** The scenario's `demand:` section: the rate of requests over the run, where they are picked up and dropped off, what they weigh. */
export const demandSchema = Type.Object(
  {
    rate: Quantity('rate', 'Mean delivery requests (Poisson arrivals) from the start', POSITIVE),
    phases: Type.Optional(
      Type.Array(
        Type.Object(
          {
            at: Quantity('time', 'When this rate takes over, after the start', NON_NEGATIVE),
            rate: Quantity('rate', 'Mean requests from then on', NON_NEGATIVE),
          },
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
          Type.Array(Position('A corner of the delivery area'), {
            minItems: 3,
            description: 'Corners of the delivery area, in order; drop-offs are uniform inside.',
          }),
        ),
      },
      {
        additionalProperties: false,
        description:
          'The delivery area: a circle {center, radius} or a polygon {polygon}. Drop-offs are uniform in it unless hotspots are given.',
      },
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
)
