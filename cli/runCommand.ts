import { randomBytes } from 'node:crypto'
import { loadScenario } from '../sim/loadScenario.js'
import type { Scenario } from '../sim/Scenario.js'
import { createLogger } from './logger.js'
import { scenarioEngineOptions } from './scenarioEngineOptions.js'
import { simulate } from './simulate.js'
import { startService } from './startService.js'

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
  const scenario: Scenario = flags.seed === undefined ? loaded : { ...loaded, seed: flags.seed }
  const apiKey = randomBytes(16).toString('hex')
  const service = await startService({
    broker: flags.broker, mqttPort: 0, httpPort: 0, wsPort: 0, host: '127.0.0.1', apiKey,
    ...scenarioEngineOptions(scenario), logger: createLogger('warn'),
  })
  try {
    return await simulate({
      scenario, brokerUrl: service.brokerUrlFor('sim'), gatewayUrl: service.gateway.httpUrl, apiKey, topics: service.topics,
      workers: flags.workers, speed: flags.speed, out: flags.out,
    })
  } finally {
    await service.close()
  }
}
