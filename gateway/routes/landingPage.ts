import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { renderLandingPage } from '../landingPageHtml.js'
import { pagePolicy } from '../pagePolicy.js'

/** `GET /`: the landing page, linking the operator map, the API documentation, the metrics and the health checks. */
export function registerLandingPage(app: FastifyInstance, d: { version: string }): void {
  app.get(
    '/',
    { schema: { summary: 'The landing page (HTML): links to the map, the docs, the metrics', tags: ['pages'] } },
    async (_request, reply) => {
      const nonce = randomBytes(16).toString('base64')
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', pagePolicy({ nonce, connect: "'self'", basemap: null }))
        .send(renderLandingPage({ version: d.version, nonce }))
    },
  )
}
