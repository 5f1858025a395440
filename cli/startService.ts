import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { EngineOptions } from '../engine/Engine.js'
import { startMqttEngine, type MqttEngine } from '../engine/mqttEngine.js'
import { brokerPolicy, type BrokerRole, type BrokerUser } from '../gateway/brokerPolicy.js'
import { generatedUser, urlWithCredentials } from '../gateway/brokerUsers.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../gateway/embeddedBroker.js'
import { openLink } from '../gateway/openLink.js'
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/startGateway.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import type { LatLon, Zone } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import { topics as makeTopics, type Topics } from '../protocol/topics.js'
import { clientId, connectMqtt } from './connectMqtt.js'

/** Gateway settings a service passes through unchanged. */
export type GatewayTuning = Pick<GatewayOptions, 'maxPendingRequests' | 'maxEngineLagMs' | 'heartbeatMs' | 'fleetIntervalMs' | 'trackingTokenTtlS'>

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
  /** Zones the engine knows from the start (a scenario's); more can be added over REST. */
  zones?: Zone[]
  /** Wind for the engine's plans and ETAs; still air when absent. */
  wind?: EngineOptions['wind']
  prefix?: string
  logger: Logger
  /**
   * More users of the embedded broker (drones, operators' tools), besides the
   * service's own engine, gateway, sim and admin users, which are generated.
   */
  brokerUsers?: BrokerUser[]
  /** HMAC key of tracking tokens; keep it to keep tokens valid across restarts. Default: random per start. */
  trackingSecret?: Buffer
  gateway?: GatewayTuning
}

export interface Service {
  /**
   * A URL any in-process tool can connect with: on the embedded broker it
   * carries the admin user's credentials (never print it); otherwise the URL given.
   */
  brokerUrl: string
  /** The broker's URL without credentials, for messages. */
  publicBrokerUrl: string
  /** The URL a client of `role` connects with: on the embedded broker, with that role's generated credentials. */
  brokerUrlFor(role: Exclude<BrokerRole, 'drone'>): string
  topics: Topics
  embedded: EmbeddedBroker | null
  engine: MqttEngine
  gateway: Gateway
  close(): Promise<void>
}

/**
 * Engine + gateway (+ embedded broker), each with its own broker link: the
 * broker is how they talk. On an external broker each is an MQTT client with
 * its own credentials, as they would be in separate processes; on the
 * embedded broker each is an in-process link into it, which spares the
 * broker's thread the encoding, socket and parsing of every message the
 * engine takes in (see gateway/InProcessLink.ts).
 */
export async function startService(o: ServiceOptions): Promise<Service> {
  const opened: Array<() => Promise<unknown>> = []
  const closeAll = async (): Promise<void> => {
    for (const close of opened.reverse().splice(0)) await close().catch(() => undefined)
  }
  try {
    const topics = makeTopics(o.prefix)
    const own = new Map<Exclude<BrokerRole, 'drone'>, BrokerUser>(
      (['admin', 'engine', 'gateway', 'sim'] as const).map((role) => [role, generatedUser(role)]),
    )
    let embedded: EmbeddedBroker | null = null
    if (!o.broker) {
      const policy = brokerPolicy([...own.values(), ...(o.brokerUsers ?? [])], topics)
      embedded = await startEmbeddedBroker({ port: o.mqttPort, host: o.host, flag: '--mqtt-port', policy, logger: o.logger.child({ part: 'broker' }) })
      opened.push(() => (embedded as EmbeddedBroker).close())
    }
    const publicBrokerUrl = o.broker ?? (embedded as EmbeddedBroker).url
    const brokerUrlFor = (role: Exclude<BrokerRole, 'drone'>): string =>
      embedded ? urlWithCredentials(embedded.url, own.get(role) as BrokerUser) : publicBrokerUrl
    const connect = async (role: 'engine' | 'gateway'): Promise<BrokerLink> => {
      const { link, close } = await openLink(embedded, () => connectMqtt(brokerUrlFor(role), clientId(role)), o.logger.child({ part: role }))
      opened.push(close)
      return link
    }
    const engineClient = await connect('engine')
    const engine = await startMqttEngine({
      mqtt: engineClient, topics, profile: o.profile, depots: o.depots, zones: o.zones, wind: o.wind, logger: o.logger.child({ part: 'engine' }),
    })
    opened.push(() => engine.close())
    const gatewayClient = await connect('gateway')
    const gateway = await startGateway({
      ...o.gateway,
      mqtt: gatewayClient, topics, engine: engine.engine, host: o.host, httpPort: o.httpPort, wsPort: o.wsPort,
      apiKey: o.apiKey, trackingSecret: o.trackingSecret ?? randomBytes(32), logger: o.logger.child({ part: 'gateway' }),
    })
    opened.push(() => gateway.close())
    return { brokerUrl: brokerUrlFor('admin'), publicBrokerUrl, brokerUrlFor, topics, embedded, engine, gateway, close: closeAll }
  } catch (err) {
    await closeAll()
    throw err
  }
}
