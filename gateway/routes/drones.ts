import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ErrorCodes } from '../../protocol/errors.js'
import { haversineM, isLatitude, isLongitude } from '../../protocol/geo.js'
import type { AuthHook } from '../bearerAuth.js'
import type { EngineView } from '../EngineView.js'
import { pageRequest, PageQueryProps, paginate } from '../paginate.js'
import { ProblemError } from '../problem.js'

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
// Strings on purpose: the gateway's ajv does not coerce types (a body's "5" must not become 5), so numbers are parsed here.
const NearQuery = Type.Object(
  {
    ...PageQueryProps,
    near: Type.Optional(Type.String({ pattern: '^\\s*-?[0-9.]+\\s*,\\s*-?[0-9.]+\\s*$', description: 'lat,lon in degrees' })),
    radius: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', description: 'metres' })),
  },
  { additionalProperties: false },
)
type NearQuery = Static<typeof NearQuery>

const DEFAULT_RADIUS_M = 1000

function invalid(field: string, value: unknown, message: string): ProblemError {
  return new ProblemError(400, ErrorCodes.REQUEST_INVALID, `querystring ${field} ${message}, got ${JSON.stringify(value)}`, [{ field, value, message }])
}

/** Drones as the engine sees them, read in-process through EngineView. */
export function registerDroneRoutes(app: FastifyInstance, d: { engine: EngineView; auth: AuthHook }): void {
  app.get<{ Querystring: NearQuery }>('/v1/drones', { onRequest: d.auth, schema: { querystring: NearQuery } }, async (request) => {
    const { near, radius } = request.query
    if (near === undefined) {
      if (radius !== undefined) throw invalid('/radius', radius, 'needs near=lat,lon')
      // Paged by id, so a dashboard can walk a fleet of any size.
      const all = d.engine.drones().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      return paginate(all, (x) => x.id, pageRequest(request.query))
    }
    const [lat, lon] = near.split(',').map(Number)
    if (!isLatitude(lat)) throw invalid('/near', near, 'must start with a latitude in -90..90')
    if (!isLongitude(lon)) throw invalid('/near', near, 'must end with a longitude in -180..180')
    const r = radius === undefined ? DEFAULT_RADIUS_M : Number(radius)
    if (d.engine.dronesNear) return { items: d.engine.dronesNear(lat, lon, r) }
    // Only an engine view without an index (a stub) is scanned.
    const items = d.engine
      .drones()
      .map((drone) => ({ drone, distanceM: haversineM(lat, lon, drone.lat, drone.lon) }))
      .filter((x) => x.distanceM <= r)
      .sort((a, b) => a.distanceM - b.distanceM)
      .map((x) => ({ ...x.drone, distanceM: Math.round(x.distanceM) }))
    return { items }
  })

  app.get<{ Params: Static<typeof IdParams> }>('/v1/drones/:id', { onRequest: d.auth, schema: { params: IdParams } }, async (request) => {
    const drone = d.engine.drone(request.params.id)
    if (!drone) throw new ProblemError(404, ErrorCodes.NOT_FOUND, `no drone with id ${JSON.stringify(request.params.id)}`)
    return drone
  })
}
