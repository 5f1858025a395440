import type { MqttClient } from 'mqtt'
import { pino } from 'pino'
import type { Test } from 'tap'
import { clientId, connectMqtt } from '../../broker/connectMqtt.js'
import { scenarioEngineOptions } from '../../service/scenarioEngineOptions.js'
import { startService, type Service } from '../../service/startService.js'
import { parseScenario } from '../../sim/scenario/loadScenario.js'
import type { Scenario } from '../../sim/scenario/Scenario.js'
import { Simulator } from '../../sim/Simulator.js'

/** A one-depot scenario with (practically) no generated demand: the test makes its own requests. */
export function quietScenario(overrides = ''): Scenario {
  return parseScenario(
    `
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
${overrides}`,
    'test.yaml',
  )
}

export const silent = pino({ level: 'silent' })

/** The whole service on an embedded broker, on free ports. */
export function startTestService(s: Scenario, apiKey: string | null = 'test-key'): Promise<Service> {
  return startService({
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey,
    ...scenarioEngineOptions(s),
    logger: silent,
  })
}

/**
 * Flies a scenario that makes no demand of its own against `service` until
 * the test ends (or `land()`), then closes the service. Returns the
 * simulator and its broker client (to listen in on its commands).
 */
export async function flyFleet(
  t: Test,
  service: Service,
  scenario: Scenario,
  o: { workers: number; speed?: number },
): Promise<{ sim: Simulator; simClient: MqttClient; land(): Promise<void> }> {
  const simClient = await connectMqtt(service.brokerUrl, clientId('sim'))
  const stop = new AbortController()
  const sim = new Simulator({
    scenario,
    mqtt: simClient,
    topics: service.topics,
    workers: o.workers,
    speed: o.speed,
    signal: stop.signal,
    submit: () => Promise.reject(new Error('this scenario makes no demand')),
  })
  const flying = sim.run()
  const land = async (): Promise<void> => {
    stop.abort()
    await flying.then(() => undefined)
  }
  t.teardown(async () => {
    await land().catch(() => undefined)
    await sim.close()
    await simClient.endAsync()
    await service.close()
  })
  return { sim, simClient, land }
}

export { until } from './until.js'
