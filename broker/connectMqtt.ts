import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { reconnectWithBackoff } from './reconnectWithBackoff.js'

export interface ConnectMqttOptions {
  /**
   * Keep the session across reconnects (clean: false under this process's
   * client id): the broker keeps the subscriptions and queues QoS 1 messages
   * while the client is away. Default false.
   */
  persistent?: boolean
  /** Where disconnects, refusals and reconnects are logged. */
  logger?: Logger | undefined
  /** More MQTT.js options (e.g. queueQoSZero). */
  mqtt?: Pick<IClientOptions, 'queueQoSZero'>
}

/**
 * Connects one MQTT client, failing fast with a clear error when the broker
 * cannot be reached; once connected, it reconnects whatever happens (a
 * refused CONNACK included), with backoff, and logs it (reconnectWithBackoff).
 */
export async function connectMqtt(url: string, clientId: string, o: ConnectMqttOptions = {}): Promise<MqttClient> {
  let client: MqttClient
  try {
    client = await mqtt.connectAsync(
      url,
      {
        ...o.mqtt,
        clientId,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
        clean: o.persistent !== true,
        reconnectOnConnackError: true,
      },
      false,
    )
  } catch (err) {
    throw new DronefleetError(
      ErrorCodes.BROKER_UNREACHABLE,
      `cannot reach the MQTT broker at ${redact(url)}: ${(err as Error).message}; check --broker`,
      '--broker',
      redact(url),
    )
  }
  // MQTT.js leaves Nagle's algorithm on; with delayed ACKs every small
  // request/response (PUBACK, the lockstep clock) would wait ~40 ms.
  const noDelay = (): void => {
    const socket = client.stream as { setNoDelay?: (on: boolean) => void }
    socket.setNoDelay?.(true)
  }
  noDelay()
  client.on('connect', noDelay)
  reconnectWithBackoff(client, o.logger)
  return client
}

/** A client id unique to this process, so several runs can share one broker. */
export function clientId(role: string): string {
  return `dronefleet-${role}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.href
  } catch {
    return url
  }
}
