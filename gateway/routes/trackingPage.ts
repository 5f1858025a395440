import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import { randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Store } from '../../store/Store.js'
import type { Basemap } from '../basemap.js'
import type { DeliveryBook } from '../DeliveryBook.js'
import { findDelivery } from '../findDelivery.js'
import { pagePolicy } from '../pagePolicy.js'
import { renderTrackingPage } from '../trackingPageHtml.js'
import { verifyTrackingToken } from '../trackingToken.js'

export interface TrackingPageDeps {
  book: DeliveryBook
  /** The durable store: a delivery accepted before a restart is found there. */
  store: Store
  trackingSecret: Buffer
  now: () => number
  /** The WebSocket port the page connects to (on the host the browser used). */
  wsPort: () => number
  /** The public WebSocket base (publicWsUrl, or publicUrl with ws/wss) the page connects to instead, behind a proxy; null: none given. */
  wsBase: string | null
  /** Tiles under the map, from the operator's tile server; null: none, and the page loads nothing from elsewhere. */
  basemap: Basemap | null
}

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
const Query = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })

function plain(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(`${message}\n`)
}

/**
 * `GET /track/{id}?token=…`: the customer's page. The same token rules as the
 * WebSocket (checked here too, so a wrong link shows a clear message rather
 * than a page that cannot connect). Self-contained: no CDN; images only
 * from the operator's tile server, when one is configured.
 */
export function registerTrackingPage(app: FastifyInstance, d: TrackingPageDeps): void {
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/track/:id',
    {
      schema: {
        summary: 'The live tracking page of one delivery (HTML)',
        description:
          'Opens with the trackingToken returned by POST /v1/deliveries; 401 without a valid token, 403 with the token of another delivery.',
        tags: ['tracking'],
        params: Params,
        querystring: Query,
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const check = verifyTrackingToken(d.trackingSecret, id, request.query.token, d.now())
      if (!check.ok) {
        if (check.reason === 'mismatch') return plain(reply, 403, 'This link does not open this delivery.')
        return plain(
          reply,
          401,
          `This tracking link is ${check.reason === 'expired' ? 'expired' : 'incomplete'}: open the link you were sent.`,
        )
      }
      if (!(await findDelivery(d.book, d.store, id))) return plain(reply, 404, 'This delivery is not known here (yet).')
      const nonce = randomBytes(16).toString('base64')
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer') // the token is in the URL
        .header('content-security-policy', pagePolicy({ nonce, connect: 'ws: wss:', basemap: d.basemap }))
        .send(
          renderTrackingPage({
            deliveryId: id,
            token: request.query.token as string,
            wsPort: d.wsPort(),
            wsBase: d.wsBase,
            nonce,
            basemap: d.basemap,
          }),
        )
    },
  )
}
