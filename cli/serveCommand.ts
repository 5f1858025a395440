import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { BrokerUser } from '../gateway/brokerPolicy.js'
import { parseBrokerUsers } from '../gateway/brokerUsers.js'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { loadScenario } from '../sim/loadScenario.js'
import { createLogger } from './logger.js'
import { scenarioEngineOptions } from './scenarioEngineOptions.js'
import { startService, type GatewayTuning } from './startService.js'

export interface ServeFlags {
  broker?: string
  mqttPort: number
  httpPort: number
  wsPort: number
  host: string
  apiKey?: string
  scenario?: string
  prefix?: string
}

/**
 * Settings that are secrets or deployment details come from the environment
 * rather than flags, so they stay out of `ps` and shell history:
 *
 * - DRONEFLEET_MQTT_USERS: a JSON file of embedded-broker users (drones, tools);
 * - DRONEFLEET_TRACKING_SECRET: the tracking-token key (≥ 32 characters), so tokens survive a restart;
 * - DRONEFLEET_MAX_PENDING_REQUESTS, DRONEFLEET_MAX_ENGINE_LAG_MS, DRONEFLEET_FLEET_INTERVAL_MS: gateway limits.
 */
export interface ServeEnv {
  brokerUsers: BrokerUser[]
  trackingSecret: Buffer | undefined
  gateway: GatewayTuning
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
      throw new DronefleetError(ErrorCodes.FLAG_INVALID, `DRONEFLEET_MQTT_USERS: cannot read ${usersFile}: ${(err as Error).message}`, 'DRONEFLEET_MQTT_USERS', usersFile)
    }
    brokerUsers = parseBrokerUsers(json, usersFile)
  }
  const secret = env.DRONEFLEET_TRACKING_SECRET
  if (secret !== undefined && secret.length < 32) throw envError('DRONEFLEET_TRACKING_SECRET', `${secret.length} characters`, 'at least 32 characters')
  const gateway: GatewayTuning = {}
  const pending = envInt(env, 'DRONEFLEET_MAX_PENDING_REQUESTS', 1, 1_000_000)
  const lag = envInt(env, 'DRONEFLEET_MAX_ENGINE_LAG_MS', 1, 86_400_000)
  const fleet = envInt(env, 'DRONEFLEET_FLEET_INTERVAL_MS', 100, 60_000)
  if (pending !== undefined) gateway.maxPendingRequests = pending
  if (lag !== undefined) gateway.maxEngineLagMs = lag
  if (fleet !== undefined) gateway.fleetIntervalMs = fleet
  return { brokerUsers, trackingSecret: secret ? Buffer.from(secret) : undefined, gateway }
}

/** `dronefleet serve`: engine + gateway (+ embedded broker) until SIGINT/SIGTERM. */
export async function serveCommand(flags: ServeFlags): Promise<number> {
  const env = await readServeEnv(process.env)
  const scenario = flags.scenario ? await loadScenario(flags.scenario) : null
  const generated = flags.apiKey === undefined
  const apiKey = flags.apiKey ?? randomBytes(16).toString('hex')
  const logger = createLogger('info')
  const service = await startService({
    broker: flags.broker, mqttPort: flags.mqttPort, httpPort: flags.httpPort, wsPort: flags.wsPort, host: flags.host,
    apiKey, ...(scenario ? scenarioEngineOptions(scenario) : { profile: DEFAULT_PROFILE, depots: [] }),
    prefix: flags.prefix, logger, brokerUsers: env.brokerUsers, trackingSecret: env.trackingSecret, gateway: env.gateway,
  })
  const g = service.gateway
  const drones = env.brokerUsers.filter((u) => u.role === 'drone').length
  process.stdout.write([
    `dronefleet serving`,
    `  broker     ${service.publicBrokerUrl}${service.embedded ? ' (embedded)' : ''}`,
    ...(service.embedded
      ? [
          `  sim        dronefleet sim <scenario> --broker ${service.brokerUrlFor('sim')} --gateway ${g.httpUrl} --api-key <key>`,
          `  drones     ${drones} from DRONEFLEET_MQTT_USERS (each publishes only telemetry/{its id}, reads only commands/{its id})`,
        ]
      : []),
    ...(scenario
      ? [`  scenario   ${scenario.name}: ${scenario.depots.length} depot(s), ${scenario.zones.length} zone(s), ${scenario.wind.speedMps > 0 ? `wind ${scenario.wind.speedMps} m/s from ${scenario.wind.fromDeg}°` : 'calm'}`]
      : []),
    `  http       ${g.httpUrl}  (REST, /docs/json, /track/{id}?token=…, /healthz, /readyz, /metrics)`,
    `  websocket  ${g.wsUrl}/v1/track/{deliveryId}?token=…  and  ${g.wsUrl}/v1/fleet (API key)`,
    generated ? `  api key    ${apiKey}  (generated; pass --api-key to choose one)` : '  api key    (as given)',
    '',
  ].join('\n'))
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  logger.info('shutting down')
  await service.close()
  return 0
}
