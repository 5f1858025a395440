import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Basemap } from '../basemap.js'
import { renderOperatorMap } from '../operatorMapHtml.js'
import { pagePolicy } from '../pagePolicy.js'

export interface OperatorMapDeps {
  /** The WebSocket port the page connects to (on the host the browser used). */
  wsPort: () => number
  /** The public WebSocket base the page connects to instead, behind a proxy; null: none given. */
  wsBase: string | null
  basemap: Basemap | null
}

/**
 * `GET /map`: the operator's live map. The page itself is open and holds no
 * data; the fleet, zones and deliveries it draws come over /v1/fleet and the
 * REST API with the operator's API key, which the page asks for.
 */
export function registerOperatorMap(app: FastifyInstance, d: OperatorMapDeps): void {
  app.get(
    '/map',
    {
      schema: {
        summary: "The operator's live map of the fleet (HTML)",
        description:
          'Draws /v1/fleet on a canvas with zones and deliveries in progress. The page asks for the API key (or takes it from the URL fragment #key=…); everything it shows needs it.',
        tags: ['pages'],
      },
    },
    async (_request, reply) => {
      const nonce = randomBytes(16).toString('base64')
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('content-security-policy', pagePolicy({ nonce, connect: "'self' ws: wss:", basemap: d.basemap }))
        .send(renderOperatorMap({ wsPort: d.wsPort(), wsBase: d.wsBase, nonce, basemap: d.basemap }))
    },
  )
}
