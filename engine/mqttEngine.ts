import type { MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { decodeClock } from '../protocol/clock.js'
import { decodeRequest } from '../protocol/requests.js'
import { decodeTelemetryJson, TelemetryError } from '../protocol/telemetry.js'
import type { Topics } from '../protocol/topics.js'
import { Engine, type EngineOptions } from './Engine.js'

export interface MqttEngineOptions extends Omit<EngineOptions, 'sink'> {
  mqtt: MqttClient
  topics: Topics
  /** Wall clock: stamps requests that arrive before any telemetry, and measures lag (EngineStats.lagMs). */
  now?: () => number
  logger?: Logger
}

export interface MqttEngine {
  engine: Engine
  close(): Promise<void>
}

/**
 * The engine's MQTT adapter: decodes what arrives, hands it to the pure core,
 * publishes what the core decides. A bad message is counted and logged, never
 * thrown: one broken drone must not stop the fleet.
 */
export async function startMqttEngine(o: MqttEngineOptions): Promise<MqttEngine> {
  const { mqtt, topics: t } = o
  const now = o.now ?? Date.now
  const publish = (topic: string, body: unknown, qos: 0 | 1): void => {
    mqtt.publish(topic, JSON.stringify(body), { qos }, (err) => {
      if (err) o.logger?.warn({ err, topic }, 'publish failed')
    })
  }
  const engine = new Engine({
    ...o,
    sink: {
      command: (c) => publish(t.commands(c.droneId), c, 1),
      event: (e) => publish(t.deliveryEvents(e.deliveryId), e, 1),
      tracking: (m) => publish(t.tracking(m.deliveryId), m, 0),
    },
  })

  const onMessage = (topic: string, payload: Buffer): void => {
    try {
      if (topic === t.simClock) {
        const c = decodeClock(payload)
        if (!c) return
        engine.advance(c.t)
        publish(t.engineWatermark, { t: c.t }, 1)
        return
      }
      if (topic === t.requests) {
        const r = decodeRequest(payload)
        if (r) engine.handleRequest(r, now())
        else o.logger?.warn({ topic }, 'ignored an undecodable request')
        return
      }
      const droneId = t.droneIdOf(topic)
      if (droneId === undefined) return
      const sample = decodeTelemetryJson(payload)
      if (sample.droneId !== droneId) {
        throw new TelemetryError('topic', `telemetry for "${sample.droneId}" arrived on the topic of "${droneId}"`, 'droneId', sample.droneId)
      }
      if (engine.handleTelemetry(sample)) engine.recordLag(now() - sample.ts)
    } catch (err) {
      if (err instanceof TelemetryError) {
        engine.rejectTelemetry(err.reason)
        o.logger?.debug({ topic, field: err.field, reason: err.reason }, err.message)
      } else {
        o.logger?.error({ err, topic }, 'engine failed on a message')
      }
    }
  }

  mqtt.on('message', onMessage)
  await mqtt.subscribeAsync({ [t.telemetryAll]: { qos: 0 }, [t.requests]: { qos: 1 }, [t.simClock]: { qos: 1 } })
  return {
    engine,
    async close() {
      mqtt.off('message', onMessage)
      if (mqtt.connected) await mqtt.unsubscribeAsync([t.telemetryAll, t.requests, t.simClock]).catch(() => undefined)
    },
  }
}
