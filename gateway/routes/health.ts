import type {} from '@fastify/swagger' // its FastifySchema additions: summary, tags, security
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { ErrorCodes } from '../../protocol/errors.js'
import type { EngineStats } from '../../protocol/views.js'
import { engineLagMs } from '../metrics.js'
import { ProblemError } from '../problem.js'
import type { BrokerLink } from '../../protocol/BrokerLink.js'

export interface HealthDeps {
  mqtt: BrokerLink
  registry: Registry
  stats: () => EngineStats
  /** /readyz fails while the engine lags more than this. */
  maxEngineLagMs: number
}

const tags = ['health']

/** Open routes for orchestrators and scrapers: liveness, readiness, Prometheus. */
export function registerHealthRoutes(app: FastifyInstance, d: HealthDeps): void {
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags } }, async () => ({ status: 'ok' }))

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: connected to the broker and the engine is keeping up',
        description: '503 with the reason otherwise',
        tags,
      },
    },
    async () => {
      if (!d.mqtt.connected) {
        const why = d.mqtt.reconnecting ? 'reconnecting to the message broker' : 'not connected to the message broker'
        throw new ProblemError(ErrorCodes.BROKER_UNAVAILABLE, why, { headers: { 'retry-after': '1' } })
      }
      const stats = d.stats()
      // A gateway apart from its engines that has heard none (RemoteEngineView) does not know their lag: not ready.
      if ('lagMs' in stats && stats.lagMs === Number.POSITIVE_INFINITY) {
        throw new ProblemError(ErrorCodes.OVERLOADED, 'no engine has been heard from yet: its lag is unknown', {
          headers: { 'retry-after': '1' },
        })
      }
      const lagMs = engineLagMs(stats)
      if (lagMs > d.maxEngineLagMs) {
        throw new ProblemError(
          ErrorCodes.OVERLOADED,
          `the engine lags ${Math.round(lagMs)} ms behind its input (limit ${d.maxEngineLagMs} ms)`,
          { headers: { 'retry-after': '1' } },
        )
      }
      return { status: 'ready', engineLagMs: lagMs }
    },
  )

  app.get('/metrics', { schema: { summary: 'Prometheus metrics: process_*, nodejs_*, dronefleet_*', tags } }, async (_request, reply) => {
    const body = await d.registry.metrics()
    return reply.type(d.registry.contentType).send(body)
  })
}
