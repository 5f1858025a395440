/**
 * What the engine and the gateway need of a broker connection. An MQTT.js
 * client is one (over TCP, to any broker); the embedded broker also offers
 * an in-process one (broker/InProcessLink.ts) that skips encoding, the
 * socket and parsing. Only QoS 0 and 1 are used.
 */
export interface BrokerLink {
  readonly connected: boolean
  readonly reconnecting: boolean
  /** The callback comes once the broker has taken the message (PUBACK at QoS 1). */
  publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1 }, callback?: (err?: Error) => void): unknown
  publishAsync(topic: string, payload: string | Buffer, opts: { qos: 0 | 1 }): Promise<unknown>
  subscribeAsync(subscriptions: Record<string, { qos: 0 | 1 }>): Promise<unknown>
  unsubscribeAsync(topics: string[]): Promise<unknown>
  on(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown
  off(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown
}
