import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import type { EngineOptions } from '../engine/Engine.js'
import { startMqttEngine, type MqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { emptyEngineStats, mergeEngineStats, type EngineStatus } from '../protocol/engineStatus.js'
import type { LatLon, Zone } from '../protocol/geo.js'
import type { DroneProfile } from '../protocol/profile.js'
import { topics as makeTopics } from '../protocol/topics.js'
import type { Store } from '../store/Store.js'
import { RegionLeases } from './RegionLeases.js'

export interface EngineRoleOptions {
  /** The shared broker (an engine apart from its gateways never embeds one). */
  broker: string
  /** The shared store: PostgreSQL, where the leases are. */
  store: Store
  /** Every region of the world; this process holds its share. */
  regions: readonly string[]
  /** This engine's unique name among engines (the pod's name; default host and pid). */
  holder: string
  profile: DroneProfile
  depots: LatLon[]
  zones?: Zone[]
  wind?: EngineOptions['wind']
  prefix?: string
  host: string
  /** Port of /healthz, /readyz and /metrics (0: any free one). */
  httpPort: number
  leaseTtlMs?: number
  leaseRenewMs?: number
  /** How often the status gateways read is published, ms. Default 1000. */
  statusMs?: number
  logger: Logger
}

export interface EngineRole {
  leases: RegionLeases
  /** The region engines running now. */
  engines: ReadonlyMap<string, MqttEngine>
  httpUrl: string
  close(): Promise<void>
}

/**
 * `serve --role engine`: one process that owns a share of the regions
 * (RegionLeases), runs one engine per region it holds on that region's
 * topics, restoring it from the store at the epoch its lease granted, and
 * stops it when the lease is lost or handed over. It publishes its status
 * (regions, counters, drones) for the gateways, and serves /healthz, /readyz
 * and /metrics for an orchestrator's probes.
 */
export async function startEngineRole(o: EngineRoleOptions): Promise<EngineRole> {
  const logger = o.logger
  const topics = makeTopics(o.prefix)
  const mqtt = await connectMqtt(o.broker, clientId('engine'), { persistent: true, logger: logger.child({ part: 'mqtt' }) })
  const engines = new Map<string, MqttEngine>()
  const leases = new RegionLeases({
    store: o.store,
    holder: o.holder,
    regions: o.regions,
    ttlMs: o.leaseTtlMs,
    renewMs: o.leaseRenewMs,
    logger: logger.child({ part: 'leases' }),
    gained: async (region, epoch) => {
      const engine = await startMqttEngine({
        mqtt,
        store: o.store,
        topics: topics.forRegion(region),
        region,
        epoch,
        profile: o.profile,
        depots: o.depots,
        zones: o.zones,
        wind: o.wind,
        logger: logger.child({ part: 'engine', region }),
        // The region's telemetry is read and decoded off the engine's event loop, on a connection of its own.
        decoder: { url: o.broker, clientId: clientId(`engine-decoder-${region}`) },
      })
      engines.set(region, engine)
      logger.info({ region, epoch, recovery: engine.store?.recovery }, 'region engine started')
    },
    lost: async (region) => {
      const engine = engines.get(region)
      engines.delete(region)
      await engine?.close()
      logger.info({ region }, 'region engine stopped')
    },
  })
  const status = (): EngineStatus => {
    const all = [...engines.values()]
    return {
      holder: o.holder,
      sentAt: Date.now(),
      regions: [...engines.keys()],
      stats: mergeEngineStats(all.map((e) => e.engine.stats())) ?? all[0]?.engine.stats() ?? emptyEngineStats(0),
      drones: all.flatMap((e) => e.engine.drones()),
      zones: all[0]?.engine.zones() ?? o.zones ?? [],
    }
  }
  const statusTimer = setInterval(() => {
    if (mqtt.connected) mqtt.publish(topics.engineStatus(o.holder), JSON.stringify(status()), { qos: 0 })
  }, o.statusMs ?? 1000)
  statusTimer.unref()

  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  new Gauge({
    name: 'dronefleet_engine_regions_held',
    help: 'Regions this engine process holds the lease of',
    registers: [registry],
    collect() {
      this.set(engines.size)
    },
  })
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown, type = 'application/json'): void => {
      res.writeHead(code, { 'content-type': type })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    }
    const path = (req.url ?? '/').split('?', 1)[0]
    if (path === '/healthz') send(mqtt.connected ? 200 : 503, { status: mqtt.connected ? 'ok' : 'broker unreachable' })
    else if (path === '/readyz') {
      // Ready once connected and past its first lease cycle; holding no region is fine (more engines than regions).
      const ready = mqtt.connected && started
      send(ready ? 200 : 503, { ready, holder: o.holder, regions: [...engines.keys()] })
    } else if (path === '/metrics')
      void registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        () => send(500, { error: 'metrics failed' }),
      )
    else send(404, { error: 'not found' })
  })
  let started = false
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.httpPort, o.host, () => resolve())
  })
  await leases.start()
  started = true
  const port = (server.address() as AddressInfo).port
  const httpUrl = `http://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${port}`
  logger.info({ holder: o.holder, regions: [...engines.keys()], httpUrl }, 'engine role started')
  return {
    leases,
    engines,
    httpUrl,
    async close() {
      clearInterval(statusTimer)
      // Handed over at once: another engine takes the regions without waiting for the leases to lapse.
      await leases.stop()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await mqtt.endAsync().catch(() => undefined)
    },
  }
}
