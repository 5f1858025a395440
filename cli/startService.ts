import { randomBytes } from 'node:crypto'
import type { MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { startMqttEngine, type MqttEngine } from '../engine/mqttEngine.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../gateway/embeddedBroker.js'
import { startGateway, type Gateway } from '../gateway/startGateway.js'
import type { LatLon } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import { topics as makeTopics, type Topics } from '../protocol/topics.js'
import { clientId, connectMqtt } from './connectMqtt.js'

export interface ServiceOptions {
  /** An external broker's URL; without it an embedded aedes broker starts. */
  broker?: string | undefined
  mqttPort: number
  httpPort: number
  wsPort: number
  host: string
  apiKey: string | null
  profile: DroneProfile
  depots: LatLon[]
  prefix?: string
  logger: Logger
}

export interface Service {
  brokerUrl: string
  topics: Topics
  embedded: EmbeddedBroker | null
  engine: MqttEngine
  gateway: Gateway
  close(): Promise<void>
}

/**
 * Engine + gateway (+ embedded broker), each with its own broker connection,
 * as they would be in separate processes: the broker is how they talk.
 */
export async function startService(o: ServiceOptions): Promise<Service> {
  const opened: Array<() => Promise<unknown>> = []
  const closeAll = async (): Promise<void> => {
    for (const close of opened.reverse().splice(0)) await close().catch(() => undefined)
  }
  try {
    const embedded = o.broker ? null : await startEmbeddedBroker({ port: o.mqttPort, host: o.host, flag: '--mqtt-port' })
    if (embedded) opened.push(() => embedded.close())
    const brokerUrl = o.broker ?? (embedded as EmbeddedBroker).url
    const topics = makeTopics(o.prefix)
    const connect = async (role: string): Promise<MqttClient> => {
      const c = await connectMqtt(brokerUrl, clientId(role))
      opened.push(() => c.endAsync())
      return c
    }
    const engineClient = await connect('engine')
    const engine = await startMqttEngine({ mqtt: engineClient, topics, profile: o.profile, depots: o.depots, logger: o.logger.child({ part: 'engine' }) })
    opened.push(() => engine.close())
    const gatewayClient = await connect('gateway')
    const gateway = await startGateway({
      mqtt: gatewayClient, topics, engine: engine.engine, host: o.host, httpPort: o.httpPort, wsPort: o.wsPort,
      apiKey: o.apiKey, trackingSecret: randomBytes(32), logger: o.logger.child({ part: 'gateway' }),
    })
    opened.push(() => gateway.close())
    return { brokerUrl, topics, embedded, engine, gateway, close: closeAll }
  } catch (err) {
    await closeAll()
    throw err
  }
}
