import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
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
/** A query radius is a neighbourhood, not the planet: past this it is refused. */
export const MAX_RADIUS_M = 50_000

function invalid(field: string, value: unknown, message: string): ProblemError {
  return new ProblemError(ErrorCodes.REQUEST_INVALID, `querystring ${field} ${message}, got ${JSON.stringify(value)}`, {
    errors: [{ field, value, message }],
  })
}

/** Drones as the engine sees them, read in-process through EngineView. */
export function registerDroneRoutes(app: FastifyInstance, d: { engine: EngineView; auth: AuthHook }): void {
  app.get<{ Querystring: NearQuery }>(
    '/v1/drones',
    {
      onRequest: d.auth,
      schema: {
        summary: 'The fleet a page at a time, in id order; or, with near and radius, the drones around a point, nearest first',
        tags: ['drones'],
        security: [{ apiKey: [] }],
        querystring: NearQuery,
      },
    },
    async (request) => {
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
      if (!(r <= MAX_RADIUS_M)) throw invalid('/radius', radius, `must be at most ${MAX_RADIUS_M} m`)
      // Nearest first, a page at a time: the key orders by distance, then id.
      const key = (x: { id: string; distanceM: number }): string => `${String(Math.round(x.distanceM)).padStart(8, '0')}|${x.id}`
      const byKey = <T extends { id: string; distanceM: number }>(xs: T[]): T[] =>
        xs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
      if (d.engine.dronesNear) return paginate(byKey(d.engine.dronesNear(lat, lon, r)), key, pageRequest(request.query))
      // Only an engine view without an index (a stub) is scanned.
      const items = d.engine
        .drones()
        .map((drone) => ({ drone, distanceM: haversineM(lat, lon, drone.lat, drone.lon) }))
        .filter((x) => x.distanceM <= r)
        .sort((a, b) => a.distanceM - b.distanceM)
        .map((x) => ({ ...x.drone, distanceM: Math.round(x.distanceM) }))
      return paginate(byKey(items), key, pageRequest(request.query))
    },
  )

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/drones/:id',
    {
      onRequest: d.auth,
      schema: { summary: 'One drone as the engine sees it', tags: ['drones'], security: [{ apiKey: [] }], params: IdParams },
    },
    async (request) => {
      const drone = d.engine.drone(request.params.id)
      if (!drone) throw new ProblemError(ErrorCodes.NOT_FOUND, `no drone with id ${JSON.stringify(request.params.id)}`)
      return drone
    },
  )
}
