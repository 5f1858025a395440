import { loadScenario } from '../sim/loadScenario.js'
import { topics } from '../protocol/topics.js'
import { simulate } from './simulate.js'

export interface SimFlags {
  broker: string
  gateway: string
  apiKey?: string
  seed?: number
  speed?: number | 'max'
  workers: number
  out?: string
  prefix?: string
}

/** `dronefleet sim`: the simulator alone, against a running `serve`. */
export async function simCommand(file: string, flags: SimFlags): Promise<number> {
  const loaded = await loadScenario(file)
  const scenario = flags.seed === undefined ? loaded : { ...loaded, seed: flags.seed }
  return simulate({
    scenario, brokerUrl: flags.broker, gatewayUrl: flags.gateway, apiKey: flags.apiKey ?? null, topics: topics(flags.prefix),
    workers: flags.workers, speed: flags.speed, out: flags.out,
  })
}
