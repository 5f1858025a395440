import { randomBytes } from 'node:crypto'
import { basemapFromEnv } from '../gateway/basemap.js'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import type { Scenario } from '../sim/scenario/Scenario.js'
import { createLogger } from './logger.js'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { simulateWithProgress } from './simulateWithProgress.js'
import { startService } from '../service/startService.js'

export interface RunFlags {
  seed?: number
  speed?: number | 'max'
  workers: number
  out?: string
  broker?: string
}

/** `dronefleet run`: broker, engine, gateway and simulator in one process tree. Returns the exit code. */
export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  const loaded = await loadScenario(file)
  // Read before anything starts: a bad tile URL is bad input (exit 2), not a failure after the run.
  const basemap = basemapFromEnv(process.env)
  const scenario: Scenario = flags.seed === undefined ? loaded : { ...loaded, seed: flags.seed }
  const apiKey = randomBytes(16).toString('hex')
  const logger = createLogger('warn')
  const service = await startService({
    broker: flags.broker,
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey,
    ...scenarioEngineOptions(scenario),
    logger,
  })
  try {
    return await simulateWithProgress({
      scenario,
      brokerUrl: service.brokerUrlFor('sim'),
      gatewayUrl: service.gateway.httpUrl,
      apiKey,
      topics: service.topics,
      workers: flags.workers,
      speed: flags.speed,
      out: flags.out,
      logger: logger.child({ part: 'sim' }),
      basemap,
    })
  } finally {
    await service.close()
  }
}
