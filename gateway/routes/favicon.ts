import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import type { FastifyInstance } from 'fastify'

// A drone seen from above: four rotors round a body. SVG, whatever the name says: browsers go by the content type.
const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><g fill="none" stroke="#1d4ed8" stroke-width="3">' +
  '<path d="M9 9l14 14M23 9L9 23"/><circle cx="7" cy="7" r="5"/><circle cx="25" cy="7" r="5"/><circle cx="7" cy="25" r="5"/>' +
  '<circle cx="25" cy="25" r="5"/></g><rect x="12" y="12" width="8" height="8" rx="2" fill="#111827"/></svg>'

/** `GET /favicon.ico`, which every browser asks for: an icon rather than a 404 in every page's console. */
export function registerFavicon(app: FastifyInstance): void {
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(ICON),
  )
}
