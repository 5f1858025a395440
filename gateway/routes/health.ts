import type { FastifyInstance } from 'fastify'
import type { MqttClient } from 'mqtt'
import { ErrorCodes } from '../../protocol/errors.js'
import type { Registry } from 'prom-client'
import { ProblemError } from '../problem.js'

/** Open routes for orchestrators and scrapers: liveness, readiness, Prometheus. */
export function registerHealthRoutes(app: FastifyInstance, d: { mqtt: MqttClient; registry: Registry }): void {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async () => {
    if (!d.mqtt.connected) {
      const why = d.mqtt.reconnecting ? 'reconnecting to the message broker' : 'not connected to the message broker'
      throw new ProblemError(503, ErrorCodes.BROKER_UNAVAILABLE, why, undefined, { 'retry-after': '1' })
    }
    return { status: 'ready' }
  })

  app.get('/metrics', async (_request, reply) => {
    const body = await d.registry.metrics()
    return reply.type(d.registry.contentType).send(body)
  })
}
