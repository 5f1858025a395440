import { Type } from '@sinclair/typebox'
import { MAX_ZONE_POINTS } from '../../protocol/geo.js'
import { MAX_REGION_EXTENT_M } from '../../protocol/regionProblems.js'
import { DEFAULT_REGION } from '../../protocol/topics.js'
import { REGION_ID_PATTERN } from './scenarioPatterns.js'
import { Position } from './schemaNodes.js'

/** One entry of the scenario's `regions:`: a named polygon one engine owns. */
export const regionSchema = Type.Object(
  {
    id: Type.String({
      pattern: REGION_ID_PATTERN,
      description: `Unique id: 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit (not "${DEFAULT_REGION}"); topics of the region are {prefix}/regions/{id}/….`,
    }),
    polygon: Type.Array(Position('A corner of the region'), {
      minItems: 3,
      maxItems: MAX_ZONE_POINTS + 1,
      description: `Corners of the region in order (closing the ring is optional), at most ${MAX_ZONE_POINTS}; edges straight on a lat/lon map, no crossing edges, at most ${MAX_REGION_EXTENT_M / 1000} km across, no area shared with another region (edges may be shared).`,
    }),
  },
  { additionalProperties: false, description: 'A region: a part of the world whose telemetry, requests and clock one engine owns.' },
)
