import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import { randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ErrorCodes } from '../../protocol/errors.js'
import { MAX_ZONE_POINTS, polygonProblems, type Zone } from '../../protocol/geo.js'
import type { DeliveryRequest } from '../../protocol/requests.js'
import type { Topics } from '../../protocol/topics.js'
import { IdParams, LatLon, Problem } from '../apiSchemas.js'
import type { AuthHook } from '../bearerAuth.js'
import type { EngineView } from '../EngineView.js'
import { ProblemError } from '../problem.js'
import { PageOf, PageQueryProps, pageRequest, paginate } from '../paginate.js'
import { publishRequest } from '../publishRequest.js'

const PageQuery = Type.Object(PageQueryProps, { additionalProperties: false })
import type { BrokerLink } from '../../protocol/BrokerLink.js'

const ZoneBody = Type.Object(
  {
    id: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'chosen by the caller, or generated; the same id replaces a zone' }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    polygon: Type.Array(LatLon, { minItems: 3, maxItems: MAX_ZONE_POINTS + 1, description: 'one ring of points; closing it is optional' }),
    noFly: Type.Optional(Type.Boolean({ default: true, description: 'false: only watched (geofence events), routes may cross it' })),
  },
  { additionalProperties: false },
)
type ZoneBody = Static<typeof ZoneBody>
const ZoneShape = Type.Object({ id: Type.String(), name: Type.Optional(Type.String()), polygon: Type.Array(LatLon), noFly: Type.Boolean() })
const ZoneAccepted = Type.Object({ id: Type.String(), accepted: Type.Literal(true), zone: ZoneShape })
const problems = { 400: Problem, 401: Problem, 404: Problem, 503: Problem }
const tags = ['zones']
const security = [{ apiKey: [] }]

export interface ZoneRoutesDeps {
  mqtt: BrokerLink
  topics: Topics
  engine: EngineView
  auth: AuthHook
  /** How long to wait for the broker's PUBACK before answering 503, ms. */
  publishTimeoutMs: number
  /** Every region: a zone change goes to each one's engine. */
  regions: readonly string[]
}

/**
 * No-fly and watched zones. Reads come from the engine beside the gateway;
 * changes travel to it over the broker (AddZone / RemoveZone on `requests`,
 * QoS 1) and are answered 202 once the broker has them, so a GET right after
 * may not show the change yet.
 */
export function registerZoneRoutes(app: FastifyInstance, d: ZoneRoutesDeps): void {
  // Every region's engine keeps every zone: a route may cross into another region's sky.
  const publish = async (req: DeliveryRequest): Promise<void> => {
    await Promise.all(d.regions.map((r) => publishRequest(d, req, r)))
  }
  const notFound = (id: string): ProblemError => new ProblemError(ErrorCodes.NOT_FOUND, `no zone with id ${JSON.stringify(id)}`)

  app.post<{ Body: ZoneBody }>(
    '/v1/zones',
    {
      onRequest: d.auth,
      schema: {
        summary: 'Add or replace a zone (no-fly by default)',
        tags,
        security,
        body: ZoneBody,
        response: { 202: ZoneAccepted, ...problems },
      },
    },
    async (request, reply) => {
      const b = request.body
      const bad = polygonProblems(b.polygon)
      if (bad.length > 0) {
        const first = bad[0]!
        throw new ProblemError(ErrorCodes.REQUEST_INVALID, `body ${first.field} ${first.message}`, { errors: bad })
      }
      const zone: Zone = {
        id: b.id ?? `zone-${randomBytes(6).toString('hex')}`,
        ...(b.name === undefined ? {} : { name: b.name }),
        polygon: b.polygon,
        noFly: b.noFly ?? true,
      }
      await publish({ type: 'AddZone', ...zone })
      return reply
        .code(202)
        .header('location', `/v1/zones/${encodeURIComponent(zone.id)}`)
        .send({ id: zone.id, accepted: true, zone })
    },
  )

  app.get(
    '/v1/zones',
    {
      onRequest: d.auth,
      schema: {
        summary: 'The zones the engine knows, by id, a page at a time',
        tags,
        security,
        querystring: PageQuery,
        response: { 200: PageOf(ZoneShape), 400: Problem, 401: Problem },
      },
    },
    async (request) => {
      const all = [...(d.engine.zones?.() ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      return paginate(all, (z) => z.id, pageRequest(request.query as Static<typeof PageQuery>))
    },
  )

  app.get<{ Params: IdParams }>(
    '/v1/zones/:id',
    {
      onRequest: d.auth,
      schema: { summary: 'One zone', tags, security, params: IdParams, response: { 200: ZoneShape, ...problems } },
    },
    async (request) => {
      const zone = d.engine.zone?.(request.params.id)
      if (!zone) throw notFound(request.params.id)
      return zone
    },
  )

  app.delete<{ Params: IdParams }>(
    '/v1/zones/:id',
    {
      onRequest: d.auth,
      schema: {
        summary: 'Remove a zone',
        tags,
        security,
        params: IdParams,
        response: { 202: Type.Object({ id: Type.String(), removeRequested: Type.Literal(true) }), ...problems },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      if (!d.engine.zone?.(id)) throw notFound(id)
      await publish({ type: 'RemoveZone', id })
      return reply.code(202).send({ id, removeRequested: true })
    },
  )
}
