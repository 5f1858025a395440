import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { EngineOptions } from '../engine/Engine.js'
import { startMqttEngine, type MqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { brokerPolicy, type BrokerRole, type BrokerUser } from '../broker/brokerPolicy.js'
import { generatedPassword, generatedUser, urlWithCredentials } from '../broker/brokerUsers.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embeddedBroker.js'
import { openLink } from '../broker/openLink.js'
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/startGateway.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import type { LatLon, Zone } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import { topics as makeTopics, type Topics } from '../protocol/topics.js'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import { openStore } from '../store/openStore.js'
import type { Store } from '../store/Store.js'

/** Gateway settings a service passes through unchanged. */
export type GatewayTuning = Pick<
  GatewayOptions,
  | 'maxPendingRequests'
  | 'maxEngineLagMs'
  | 'heartbeatMs'
  | 'fleetIntervalMs'
  | 'trackingTokenTtlS'
  | 'publicUrl'
  | 'publicWsUrl'
  | 'basemap'
>

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
  /** The regions whose topics the engine subscribes to (startMqttEngine's `regions`); default: the default region's. */
  regions?: readonly string[]
  /** Wind for the engine's plans and ETAs; still air when absent. */
  wind?: EngineOptions['wind']
  /** How the engine recognises a release (EngineOptions.releaseOn). */
  releaseOn?: EngineOptions['releaseOn']
  prefix?: string
  logger: Logger
  /**
   * More users of the embedded broker (drones, operators' tools), besides the
   * service's own engine, gateway, sim and admin users, which are generated.
   */
  brokerUsers?: BrokerUser[]
  /** HMAC key of tracking tokens. Default: the store's `tracking-secret` (generated once), so tokens outlive a restart. */
  trackingSecret?: Buffer
  /**
   * The durable store (accepted requests, the delivery log, secrets); the
   * service owns it and closes it last. Default: an in-memory store.
   */
  store?: Store
  gateway?: GatewayTuning
  /** How far ahead of the engine's clock a sample may be stamped, ms (startMqttEngine's maxFutureMs). */
  maxFutureMs?: number
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
  store: Store
  /** Closes the gateway, the engine, the broker and then the store. */
  close(): Promise<void>
}

/**
 * Engine + gateway (+ embedded broker), each with its own broker link: the
 * broker is how they talk. On an external broker each is an MQTT client with
 * its own credentials, as they would be in separate processes; on the
 * embedded broker each is an in-process link into it, which spares the
 * broker's thread the encoding, socket and parsing of every message the
 * engine takes in (see broker/InProcessLink.ts).
 */
export async function startService(o: ServiceOptions): Promise<Service> {
  const opened: Array<() => Promise<unknown>> = []
  const closeAll = async (): Promise<void> => {
    for (const close of opened.reverse().splice(0)) await close().catch(() => undefined)
  }
  try {
    // Opened first, closed last: the engine and the gateway write to it until they stop.
    const store = o.store ?? (await openStore(':memory:'))
    opened.push(() => store.close())
    const topics = makeTopics(o.prefix)
    // The generated users' passwords live in the store, so the printed `sim` URL survives a restart.
    const roles = ['admin', 'engine', 'gateway', 'sim'] as const
    const own = new Map<Exclude<BrokerRole, 'drone'>, BrokerUser>(
      await Promise.all(
        roles.map(async (role) => [role, generatedUser(role, await store.secret(`broker-password-${role}`, generatedPassword))] as const),
      ),
    )
    const trackingSecret =
      o.trackingSecret ?? Buffer.from(await store.secret('tracking-secret', () => randomBytes(32).toString('hex')), 'hex')
    let embedded: EmbeddedBroker | null = null
    if (!o.broker) {
      const policy = brokerPolicy([...own.values(), ...(o.brokerUsers ?? [])], topics)
      embedded = await startEmbeddedBroker({
        port: o.mqttPort,
        host: o.host,
        flag: '--mqtt-port',
        policy,
        logger: o.logger.child({ part: 'broker' }),
      })
      opened.push(() => (embedded as EmbeddedBroker).close())
    }
    const publicBrokerUrl = o.broker ?? (embedded as EmbeddedBroker).url
    const brokerUrlFor = (role: Exclude<BrokerRole, 'drone'>): string =>
      embedded ? urlWithCredentials(embedded.url, own.get(role) as BrokerUser) : publicBrokerUrl
    const connect = async (role: 'engine' | 'gateway'): Promise<BrokerLink> => {
      const { link, close } = await openLink(
        embedded,
        () => connectMqtt(brokerUrlFor(role), clientId(role), { persistent: true, logger: o.logger.child({ part: role }) }),
        o.logger.child({ part: role }),
      )
      opened.push(close)
      return link
    }
    const engineClient = await connect('engine')
    const engine = await startMqttEngine({
      mqtt: engineClient,
      store,
      topics,
      profile: o.profile,
      depots: o.depots,
      zones: o.zones,
      wind: o.wind,
      ...(o.releaseOn ? { releaseOn: o.releaseOn } : {}),
      ...(o.regions ? { regions: o.regions } : {}),
      logger: o.logger.child({ part: 'engine' }),
      ...(o.maxFutureMs !== undefined ? { maxFutureMs: o.maxFutureMs } : {}),
      // Over an external broker, telemetry is read and decoded off the engine's event loop.
      ...(embedded ? {} : { decoder: { url: brokerUrlFor('engine'), clientId: clientId('engine-decoder') } }),
    })
    opened.push(() => engine.close())
    const gatewayClient = await connect('gateway')
    const gateway = await startGateway({
      ...o.gateway,
      mqtt: gatewayClient,
      store,
      topics,
      engine: engine.engine,
      host: o.host,
      httpPort: o.httpPort,
      wsPort: o.wsPort,
      apiKey: o.apiKey,
      trackingSecret,
      logger: o.logger.child({ part: 'gateway' }),
      brokerRefusals: embedded ? () => (embedded as EmbeddedBroker).refusals : undefined,
    })
    opened.push(() => gateway.close())
    return { brokerUrl: brokerUrlFor('admin'), publicBrokerUrl, brokerUrlFor, topics, embedded, engine, gateway, store, close: closeAll }
  } catch (err) {
    await closeAll()
    throw err
  }
}
