import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { BrokerUser } from '../broker/brokerPolicy.js'
import { parseBrokerUsers } from '../broker/brokerUsers.js'
import { basemapFromEnv } from '../gateway/basemap.js'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { RegionMap } from '../protocol/RegionMap.js'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import type { Scenario } from '../sim/scenario/Scenario.js'
import { startEngineRole } from '../service/startEngineRole.js'
import { startGatewayRole } from '../service/startGatewayRole.js'
import { createLogger } from './logger.js'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { startService, type GatewayTuning } from '../service/startService.js'
import { openStore } from '../store/openStore.js'

export interface ServeFlags {
  broker?: string
  mqttPort: number
  httpPort: number
  wsPort: number
  host: string
  apiKey?: string
  scenario?: string
  prefix?: string
  /** The embedded store's directory (default ./dronefleet-data); exclusive with `store`. */
  data?: string
  /** A PostgreSQL store's URL. */
  store?: string
  /** Where clients reach the service behind a proxy (links start with it). */
  publicUrl?: string
  publicWsUrl?: string
  /** Print the simulator's broker password (hidden by default). */
  showSecrets?: boolean
  /** all (default), engine or gateway. */
  role?: 'all' | 'engine' | 'gateway'
  /** An engine's unique name among engines. */
  holder?: string
}

export const DEFAULT_DATA_DIR = './dronefleet-data'

/**
 * Settings that are secrets or deployment details come from the environment
 * rather than flags, so they stay out of `ps` and shell history:
 *
 * - DRONEFLEET_MQTT_USERS: a JSON file of embedded-broker users (drones, tools);
 * - DRONEFLEET_TRACKING_SECRET: the tracking-token key (≥ 32 characters), instead of the one kept in the store;
 * - DRONEFLEET_MAX_PENDING_REQUESTS, DRONEFLEET_MAX_ENGINE_LAG_MS, DRONEFLEET_FLEET_INTERVAL_MS: gateway limits;
 * - DRONEFLEET_MAX_FUTURE_MS: how far ahead of the engine's clock a sample may be stamped (default 3000);
 * - DRONEFLEET_BASEMAP_URL, DRONEFLEET_BASEMAP_ATTRIBUTION: map tiles under the pages (none by default);
 * - DRONEFLEET_LEASE_TTL_MS, DRONEFLEET_LEASE_RENEW_MS: an engine's region leases (default 6,000 and 2,000).
 */
export interface ServeEnv {
  brokerUsers: BrokerUser[]
  trackingSecret: Buffer | undefined
  gateway: GatewayTuning
  maxFutureMs?: number
  /** An engine's lease of a region: how long it lasts, how often it is renewed (DRONEFLEET_LEASE_TTL_MS, DRONEFLEET_LEASE_RENEW_MS). */
  leaseTtlMs?: number
  leaseRenewMs?: number
}

function envError(name: string, value: string, what: string): DronefleetError {
  return new DronefleetError(ErrorCodes.FLAG_INVALID, `${name} must be ${what}, got "${value}"`, name, value)
}

function envInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const v = env[name]
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw envError(name, v, `a whole number ${min}..${max}`)
  return n
}

export async function readServeEnv(env: NodeJS.ProcessEnv): Promise<ServeEnv> {
  let brokerUsers: BrokerUser[] = []
  const usersFile = env.DRONEFLEET_MQTT_USERS
  if (usersFile) {
    let json: unknown
    try {
      json = JSON.parse(await readFile(usersFile, 'utf8'))
    } catch (err) {
      throw new DronefleetError(
        ErrorCodes.FLAG_INVALID,
        `DRONEFLEET_MQTT_USERS: cannot read ${usersFile}: ${(err as Error).message}`,
        'DRONEFLEET_MQTT_USERS',
        usersFile,
      )
    }
    brokerUsers = parseBrokerUsers(json, usersFile)
  }
  const secret = env.DRONEFLEET_TRACKING_SECRET
  if (secret !== undefined && secret.length < 32)
    throw envError('DRONEFLEET_TRACKING_SECRET', `${secret.length} characters`, 'at least 32 characters')
  const gateway: GatewayTuning = {}
  const pending = envInt(env, 'DRONEFLEET_MAX_PENDING_REQUESTS', 1, 1_000_000)
  const lag = envInt(env, 'DRONEFLEET_MAX_ENGINE_LAG_MS', 1, 86_400_000)
  const fleet = envInt(env, 'DRONEFLEET_FLEET_INTERVAL_MS', 100, 60_000)
  if (pending !== undefined) gateway.maxPendingRequests = pending
  if (lag !== undefined) gateway.maxEngineLagMs = lag
  if (fleet !== undefined) gateway.fleetIntervalMs = fleet
  const basemap = basemapFromEnv(env)
  if (basemap) gateway.basemap = basemap
  const maxFutureMs = envInt(env, 'DRONEFLEET_MAX_FUTURE_MS', 0, 3_600_000)
  const leaseTtlMs = envInt(env, 'DRONEFLEET_LEASE_TTL_MS', 500, 600_000)
  const leaseRenewMs = envInt(env, 'DRONEFLEET_LEASE_RENEW_MS', 100, 300_000)
  if ((leaseRenewMs ?? 2000) * 2 >= (leaseTtlMs ?? 6000))
    throw envError('DRONEFLEET_LEASE_RENEW_MS', String(leaseRenewMs ?? 2000), `under half of the lease's ${leaseTtlMs ?? 6000} ms`)
  return {
    ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
    ...(leaseRenewMs !== undefined ? { leaseRenewMs } : {}),
    brokerUsers,
    trackingSecret: secret ? Buffer.from(secret) : undefined,
    gateway,
    ...(maxFutureMs !== undefined ? { maxFutureMs } : {}),
  }
}

/** A URL without its password, for messages. */
function redactUrl(url: string): string {
  const u = new URL(url)
  if (u.password) u.password = '***'
  return u.toString()
}

/**
 * What `serve` prints on start: where it listens and how to reach it. A
 * password is shown only with `showSecrets` (a terminal's scrollback and a
 * service's captured output are read by others); the API key is shown only
 * when it was generated, since nobody else could know it. The simulator's
 * command line passes the broker URL and the key in DRONEFLEET_BROKER and
 * DRONEFLEET_API_KEY, never as arguments, which any user of the machine
 * reads in `ps`.
 */
export function serveBanner(o: {
  flags: Pick<ServeFlags, 'store' | 'showSecrets'>
  storeSpec: string
  brokerUrl: string
  embedded: boolean
  simBrokerUrl: string
  httpUrl: string
  wsUrl: string
  publicHttpUrl: string
  publicWsUrl: string
  drones: number
  scenario: string | null
  apiKey: { value: string; generated: boolean; fromEnv: boolean }
}): string {
  const secret = (url: string): string => (o.flags.showSecrets ? url : redactUrl(url))
  const hidden = !o.flags.showSecrets && new URL(o.simBrokerUrl).password !== ''
  const key = o.apiKey
  return [
    `dronefleet serving`,
    `  store      ${o.flags.store ? redactUrl(o.flags.store) : `${o.storeSpec} (embedded)`}`,
    `  broker     ${redactUrl(o.brokerUrl)}${o.embedded ? ' (embedded)' : ''}`,
    ...(o.embedded
      ? [
          `  sim        DRONEFLEET_BROKER='${secret(o.simBrokerUrl)}' DRONEFLEET_API_KEY=<key> dronefleet sim <scenario> --gateway ${o.httpUrl}`,
          ...(hidden ? ['             (the broker password is hidden: pass --show-secrets to print it)'] : []),
          `  drones     ${o.drones} from DRONEFLEET_MQTT_USERS (each publishes only telemetry/{its id}, reads only commands/{its id})`,
        ]
      : []),
    ...(o.scenario ? [`  scenario   ${o.scenario}`] : []),
    `  http       ${o.httpUrl}  (REST, /docs/json, /track/{id}?token=…, /healthz, /readyz, /metrics)`,
    `  websocket  ${o.wsUrl}/v1/track/{deliveryId}?token=…  and  ${o.wsUrl}/v1/fleet (API key)`,
    ...(o.publicHttpUrl !== o.httpUrl || o.publicWsUrl !== o.wsUrl
      ? [`  public     ${o.publicHttpUrl} and ${o.publicWsUrl} (links returned to clients start with these)`]
      : []),
    key.generated
      ? `  api key    ${key.value}  (generated; set DRONEFLEET_API_KEY or pass --api-key to choose one)`
      : `  api key    (${key.fromEnv ? 'from DRONEFLEET_API_KEY' : 'as given'})`,
    '',
  ].join('\n')
}

/** `dronefleet serve`: engine + gateway (+ embedded broker) until SIGINT/SIGTERM. */
export async function serveCommand(flags: ServeFlags): Promise<number> {
  const env = await readServeEnv(process.env)
  const scenario = flags.scenario ? await loadScenario(flags.scenario) : null
  if (flags.apiKey === '')
    throw new DronefleetError(ErrorCodes.FLAG_INVALID, '--api-key (or DRONEFLEET_API_KEY) must not be empty', '--api-key', '')
  const generated = flags.apiKey === undefined
  const apiKey = flags.apiKey ?? randomBytes(16).toString('hex')
  const logger = createLogger('info')
  if (flags.role === 'engine' || flags.role === 'gateway') return serveRole(flags, flags.role, scenario, apiKey, generated, env, logger)
  // Opened before anything listens: a store that cannot be opened is DF_STORE_UNAVAILABLE (exit 2), naming it.
  const spec = flags.store ?? flags.data ?? DEFAULT_DATA_DIR
  const store = await openStore(spec)
  const service = await startService({
    store,
    broker: flags.broker,
    mqttPort: flags.mqttPort,
    httpPort: flags.httpPort,
    wsPort: flags.wsPort,
    host: flags.host,
    apiKey,
    ...(scenario ? scenarioEngineOptions(scenario) : { profile: DEFAULT_PROFILE, depots: [] }),
    prefix: flags.prefix,
    logger,
    brokerUsers: env.brokerUsers,
    trackingSecret: env.trackingSecret,
    gateway: { ...env.gateway, publicUrl: flags.publicUrl, publicWsUrl: flags.publicWsUrl },
    maxFutureMs: env.maxFutureMs,
  })
  const g = service.gateway
  process.stdout.write(
    serveBanner({
      flags,
      storeSpec: spec,
      brokerUrl: service.publicBrokerUrl,
      embedded: service.embedded !== null,
      simBrokerUrl: service.brokerUrlFor('sim'),
      httpUrl: g.httpUrl,
      wsUrl: g.wsUrl,
      publicHttpUrl: g.publicHttpUrl,
      publicWsUrl: g.publicWsUrl,
      drones: env.brokerUsers.filter((u) => u.role === 'drone').length,
      scenario: scenario
        ? `${scenario.name}: ${scenario.depots.length} depot(s), ${scenario.zones.length} zone(s), ${scenario.wind.speedMps > 0 ? `wind ${scenario.wind.speedMps} m/s from ${scenario.wind.fromDeg}°` : 'calm'}`
        : null,
      apiKey: { value: apiKey, generated, fromEnv: !generated && flags.apiKey === process.env.DRONEFLEET_API_KEY },
    }),
  )
  await untilSignal()
  logger.info('shutting down')
  await service.close()
  return 0
}

/**
 * `serve --role engine|gateway`: one part of a service spread over processes,
 * sharing a broker and a PostgreSQL store (both required), until SIGINT/SIGTERM.
 */
async function serveRole(
  flags: ServeFlags,
  role: 'engine' | 'gateway',
  scenario: Scenario | null,
  apiKey: string,
  generated: boolean,
  env: ServeEnv,
  logger: Logger,
): Promise<number> {
  if (!flags.broker)
    throw new DronefleetError(
      ErrorCodes.FLAG_INVALID,
      `--role ${role} needs --broker (or DRONEFLEET_BROKER): the parts talk through a shared broker`,
      '--broker',
      undefined,
    )
  if (!flags.store)
    throw new DronefleetError(
      ErrorCodes.FLAG_INVALID,
      `--role ${role} needs --store postgres://… (or DRONEFLEET_STORE): the parts share the store (an embedded one serves one process)`,
      '--store',
      undefined,
    )
  const store = await openStore(flags.store)
  const regions = new RegionMap(scenario?.regions ?? [])
  let close: () => Promise<void>
  if (role === 'engine') {
    const holder = flags.holder ?? `${hostname()}-${process.pid}`
    const engine = await startEngineRole({
      broker: flags.broker,
      store,
      holder,
      ...(scenario ? scenarioEngineOptions(scenario) : { profile: DEFAULT_PROFILE, depots: [] }),
      // The regions leased, one engine core each (not the all-in-one engine's list, which adds the default region's topics).
      regions: regions.ids,
      prefix: flags.prefix,
      host: flags.host,
      httpPort: flags.httpPort,
      leaseTtlMs: env.leaseTtlMs,
      leaseRenewMs: env.leaseRenewMs,
      logger,
    })
    process.stdout.write(
      [
        `dronefleet serving: engine ${holder}`,
        `  store      ${redactUrl(flags.store)}`,
        `  broker     ${redactUrl(flags.broker)}`,
        `  regions    ${regions.ids.join(', ')} (this engine holds ${[...engine.leases.regions.keys()].join(', ') || 'none yet'})`,
        `  http       ${engine.httpUrl}  (/healthz, /readyz, /metrics)`,
        '',
      ].join('\n'),
    )
    close = () => engine.close()
  } else {
    const gateway = await startGatewayRole({
      broker: flags.broker,
      store,
      host: flags.host,
      httpPort: flags.httpPort,
      wsPort: flags.wsPort,
      apiKey,
      zones: scenario?.zones ?? [],
      regions: regions.ids,
      regionOf: (p) => regions.regionOf(p.lat, p.lon),
      prefix: flags.prefix,
      trackingSecret: env.trackingSecret,
      gateway: { ...env.gateway, publicUrl: flags.publicUrl, publicWsUrl: flags.publicWsUrl },
      logger,
    })
    const g = gateway.gateway
    process.stdout.write(
      [
        'dronefleet serving: gateway',
        `  store      ${redactUrl(flags.store)}`,
        `  broker     ${redactUrl(flags.broker)}`,
        `  regions    ${regions.ids.join(', ')}`,
        `  http       ${g.httpUrl}  (REST, /docs, /map, /track/{id}?token=…, /healthz, /readyz, /metrics)`,
        `  websocket  ${g.wsUrl}/v1/track/{deliveryId}?token=…  and  ${g.wsUrl}/v1/fleet (API key)`,
        generated
          ? `  api key    ${apiKey}  (generated; every gateway needs the same one: set DRONEFLEET_API_KEY)`
          : '  api key    (as given)',
        '',
      ].join('\n'),
    )
    close = () => gateway.close()
  }
  await untilSignal()
  logger.info('shutting down')
  await close()
  await store.close()
  return 0
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
