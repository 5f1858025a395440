import type { MqttClient } from 'mqtt'
import type { Logger } from 'pino'

export interface BackoffOptions {
  /** First retry after this long, ms; doubled per failed attempt. Default 250. */
  firstMs?: number
  /** Never wait longer than this between attempts, ms. Default 5,000. */
  maxMs?: number
}

/**
 * Keeps a connected MQTT.js client reconnecting, whatever ended its
 * connection, with exponential backoff (and jitter, so a fleet of clients
 * does not hammer a broker that just came back in step), and logs each
 * disconnect, refusal and reconnect. MQTT.js on its own retries at a fixed
 * period and stops for good after one refused CONNACK
 * (`reconnectOnConnackError` lifts that; the client must be created with it).
 * Returns a function that stops watching.
 */
export function reconnectWithBackoff(client: MqttClient, logger: Logger | undefined, o: BackoffOptions = {}): () => void {
  const firstMs = o.firstMs ?? 250
  const maxMs = o.maxMs ?? 5000
  let attempts = 0
  let downSince: number | null = null
  const period = (): number => Math.min(maxMs, firstMs * 2 ** Math.min(attempts, 16)) * (0.75 + Math.random() / 2)
  client.options.reconnectPeriod = period()
  const onClose = (): void => {
    if (client.disconnecting) return // end() was called: not an outage.
    if (downSince === null) {
      downSince = Date.now()
      logger?.warn({ clientId: client.options.clientId }, 'disconnected from the MQTT broker; reconnecting')
    }
    // MQTT.js's own close handler has just armed a fixed-period timer (or kept
    // the running one): re-arm it with the next backoff step.
    attempts++
    client.options.reconnectPeriod = period()
    // biome-ignore lint/complexity/useLiteralKeys: MQTT.js's private reconnect timer (typed private), re-armed on purpose
    client['_clearReconnect']()
    // biome-ignore lint/complexity/useLiteralKeys: as above
    client['_setupReconnect']()
  }
  const onError = (err: Error): void => {
    logger?.warn({ clientId: client.options.clientId, err: err.message, attempts }, 'MQTT broker connection error')
  }
  const onConnect = (): void => {
    if (downSince !== null) {
      logger?.info({ clientId: client.options.clientId, attempts, downMs: Date.now() - downSince }, 'reconnected to the MQTT broker')
    }
    downSince = null
    attempts = 0
    client.options.reconnectPeriod = period()
  }
  client.on('close', onClose)
  client.on('error', onError)
  client.on('connect', onConnect)
  return () => {
    client.off('close', onClose)
    client.off('error', onError)
    client.off('connect', onConnect)
  }
}
