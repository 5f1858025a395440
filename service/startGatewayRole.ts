import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import { RemoteEngineView } from '../gateway/RemoteEngineView.js'
import { startGateway, type Gateway } from '../gateway/startGateway.js'
import { decodeEngineStatus } from '../protocol/engineStatus.js'
import type { LatLon, Zone } from '../protocol/geo.js'
import { topics as makeTopics } from '../protocol/topics.js'
import type { Store } from '../store/Store.js'
import type { GatewayTuning } from './startService.js'

export interface GatewayRoleOptions {
  broker: string
  /** The shared store: deliveries, keys and the tracking secret every gateway shares. */
  store: Store
  host: string
  httpPort: number
  wsPort: number
  apiKey: string | null
  /** The scenario's no-fly zones: requests into them are refused here. */
  zones?: Zone[]
  regions: readonly string[]
  regionOf: (p: LatLon) => string | undefined
  prefix?: string
  trackingSecret?: Buffer
  gateway?: GatewayTuning
  logger: Logger
}

export interface GatewayRole {
  gateway: Gateway
  view: RemoteEngineView
  close(): Promise<void>
}

/**
 * `serve --role gateway`: REST and WebSocket with no engine beside it. It
 * reads deliveries from the shared store, hands each request to the engine
 * of its pickup's region over the broker, follows events and tracking like
 * any gateway, and sees the engines through the status they publish
 * (RemoteEngineView). Stateless: any number of them behind a load balancer.
 */
export async function startGatewayRole(o: GatewayRoleOptions): Promise<GatewayRole> {
  const topics = makeTopics(o.prefix)
  const mqtt = await connectMqtt(o.broker, clientId('gateway'), { persistent: true, logger: o.logger.child({ part: 'mqtt' }) })
  const view = new RemoteEngineView(Date.now, o.zones ?? [])
  const onMessage = (topic: string, payload: Buffer): void => {
    if (!topic.startsWith(topics.engineStatusAll.slice(0, -1))) return
    const s = decodeEngineStatus(payload)
    if (s) view.heard(s)
  }
  mqtt.on('message', onMessage)
  await mqtt.subscribeAsync(topics.engineStatusAll, { qos: 0 })
  const trackingSecret =
    o.trackingSecret ?? Buffer.from(await o.store.secret('tracking-secret', () => randomBytes(32).toString('hex')), 'hex')
  try {
    const gateway = await startGateway({
      ...o.gateway,
      mqtt,
      store: o.store,
      topics,
      engine: view,
      host: o.host,
      httpPort: o.httpPort,
      wsPort: o.wsPort,
      apiKey: o.apiKey,
      trackingSecret,
      regionOf: o.regionOf,
      regions: o.regions,
      logger: o.logger.child({ part: 'gateway' }),
    })
    return {
      gateway,
      view,
      async close() {
        await gateway.close()
        mqtt.off('message', onMessage)
        await mqtt.endAsync().catch(() => undefined)
      },
    }
  } catch (err) {
    await mqtt.endAsync(true).catch(() => undefined)
    throw err
  }
}
