import { pino } from 'pino'
import { scenarioEngineOptions } from '../../cli/scenarioEngineOptions.js'
import { startService, type Service } from '../../cli/startService.js'
import { parseScenario } from '../../sim/loadScenario.js'
import type { Scenario } from '../../sim/Scenario.js'

/** A one-depot scenario with (practically) no generated demand: the test makes its own requests. */
export function quietScenario(overrides = ''): Scenario {
  return parseScenario(`
name: test
seed: 1
duration: 20 min
speed: 40
tick: 1 s
drone: { handling: 5 s }
depots:
  - { id: hub, position: [47.61, -122.33], drones: 3 }
demand:
  rate: 0.0001 /h
  area: { center: [47.61, -122.33], radius: 2 km }
${overrides}`, 'test.yaml')
}

export const silent = pino({ level: 'silent' })

/** The whole service on an embedded broker, on free ports. */
export function startTestService(s: Scenario, apiKey: string | null = 'test-key'): Promise<Service> {
  return startService({
    mqttPort: 0, httpPort: 0, wsPort: 0, host: '127.0.0.1', apiKey,
    ...scenarioEngineOptions(s), logger: silent,
  })
}

export { until } from './until.js'
