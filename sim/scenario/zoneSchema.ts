import { Type } from '@sinclair/typebox'
import { MAX_ZONE_POINTS } from '../../protocol/geo.js'
import { ID_PATTERN } from './scenarioPatterns.js'
import { Position } from './schemaNodes.js'

/** One entry of the scenario's `zones:`: a no-fly or watched polygon. */
export const zoneSchema = Type.Object(
  {
    id: Type.String({
      pattern: ID_PATTERN,
      description: 'Unique id: 1-64 letters, digits, ".", "_" or "-"; the engine and GET /v1/zones know the zone by it.',
    }),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Name shown in messages and the report (default: the id).' }),
    ),
    polygon: Type.Array(Position('A corner of the zone'), {
      minItems: 3,
      maxItems: MAX_ZONE_POINTS + 1,
      description: `Corners of the zone in order (closing the ring is optional), at most ${MAX_ZONE_POINTS}; no crossing edges, at most 100 km across.`,
    }),
    noFly: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'true: routes keep clear and requests with a pickup or drop-off inside are refused; false: only watched (geofence events).',
      }),
    ),
  },
  { additionalProperties: false, description: 'A zone on the map.' },
)
