import { randomBytes } from 'node:crypto'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { loadScenario } from '../sim/loadScenario.js'
import { createLogger } from './logger.js'
import { startService } from './startService.js'

export interface ServeFlags {
  broker?: string
  mqttPort: number
  httpPort: number
  wsPort: number
  host: string
  apiKey?: string
  scenario?: string
  prefix?: string
}

/** `dronefleet serve`: engine + gateway (+ embedded broker) until SIGINT/SIGTERM. */
export async function serveCommand(flags: ServeFlags): Promise<number> {
  const scenario = flags.scenario ? await loadScenario(flags.scenario) : null
  const generated = flags.apiKey === undefined
  const apiKey = flags.apiKey ?? randomBytes(16).toString('hex')
  const logger = createLogger('info')
  const service = await startService({
    broker: flags.broker, mqttPort: flags.mqttPort, httpPort: flags.httpPort, wsPort: flags.wsPort, host: flags.host,
    apiKey, profile: scenario?.drone ?? DEFAULT_PROFILE, depots: scenario?.depots.map((d) => d.position) ?? [],
    prefix: flags.prefix, logger,
  })
  const g = service.gateway
  process.stdout.write([
    `dronefleet serving`,
    `  broker     ${service.brokerUrl}${service.embedded ? ' (embedded)' : ''}`,
    `  http       ${g.httpUrl}  (REST, /healthz, /readyz, /metrics)`,
    `  websocket  ${g.wsUrl}/v1/track/{deliveryId}?token=…`,
    generated ? `  api key    ${apiKey}  (generated; pass --api-key to choose one)` : '  api key    (as given)',
    '',
  ].join('\n'))
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  logger.info('shutting down')
  await service.close()
  return 0
}
