import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'

/**
 * Registers @fastify/swagger so that every route registered afterwards is
 * described from the schemas fastify validates with, and serves the OpenAPI
 * document at `/docs/json`. Must be awaited before the routes are added.
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
          'and, for bad input, the JSON path and value of each bad field. Live tracking is a WebSocket on the gateway\'s ' +
          'WebSocket port: /v1/track/{id}?token=<trackingToken> and, for operators, /v1/fleet.',
      },
      tags: [
        { name: 'deliveries', description: 'Delivery requests and their state' },
        { name: 'drones', description: 'The fleet as the engine sees it' },
        { name: 'tracking', description: 'The customer tracking page' },
        { name: 'health', description: 'Liveness, readiness, metrics' },
      ],
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'the operator API key' } },
      },
    },
  })
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger())
}
