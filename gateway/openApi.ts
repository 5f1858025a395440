import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/**
 * Swagger UI's pages are its own files, served from this gateway (the
 * package ships them): scripts and styles from here only, no validator badge
 * from elsewhere, requests ("Try it out") to this gateway only. Its bundle
 * sets element styles from script, which style-src does not govern.
 */
const DOCS_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/**
 * Registers @fastify/swagger so that every route registered afterwards is
 * described from the schemas fastify validates with, and @fastify/swagger-ui
 * to show that document at `/docs` (the document itself at `/docs/json`,
 * `/docs/yaml`), its assets served by the gateway, nothing from a CDN. Must
 * be awaited before the routes are added.
 */
export async function registerOpenApi(app: FastifyInstance, o: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'dronefleet gateway',
        version: o.version,
        description:
          'Schedule, reschedule, cancel and follow drone deliveries. Errors are application/problem+json with a stable `code` ' +
          "and, for bad input, the JSON path and value of each bad field. Live tracking is a WebSocket on the gateway's " +
          'WebSocket port: /v1/track/{id}?token=<trackingToken> and, for operators, /v1/fleet.',
      },
      tags: [
        { name: 'deliveries', description: 'Delivery requests and their state' },
        { name: 'drones', description: 'The fleet as the engine sees it' },
        { name: 'zones', description: 'No-fly and watched zones' },
        { name: 'tracking', description: 'The customer tracking page' },
        { name: 'pages', description: 'Pages for people: the landing page, the operator map, these docs' },
        { name: 'health', description: 'Liveness, readiness, metrics' },
      ],
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'the operator API key' } },
      },
    },
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_POLICY,
    // BaseLayout: the document alone, without Swagger UI's top bar (a box to load any other URL, and a logo with an inline style the policy refuses).
    uiConfig: { layout: 'BaseLayout', deepLinking: true, docExpansion: 'list', validatorUrl: null, persistAuthorization: false },
    theme: { title: 'dronefleet API' },
  })
}
