/**
 * The MQTT topic tree. Every part builds topics here so names never drift.
 * DESIGN.md §4 lists the public ones; `requests`, `tracking`, `sim/clock` and
 * `engine/watermark` are the internal ones (documented in README.md).
 */
export const DEFAULT_PREFIX = 'dronefleet/v1'

export interface Topics {
  readonly prefix: string
  telemetry(droneId: string): string
  readonly telemetryAll: string
  telemetryBatch(shard: string | number): string
  readonly telemetryBatchAll: string
  commands(droneId: string): string
  readonly commandsAll: string
  deliveryEvents(deliveryId: string): string
  readonly deliveryEventsAll: string
  tracking(deliveryId: string): string
  readonly trackingAll: string
  /** Gateway → engine: delivery requests (create, cancel), QoS 1. */
  readonly requests: string
  /** Simulator → engine: "all telemetry up to t has been sent". */
  readonly simClock: string
  /** Engine → simulator: "everything up to t has been processed". */
  readonly engineWatermark: string
  /** The drone id in a `telemetry/{id}` or `commands/{id}` topic, or undefined. */
  droneIdOf(topic: string): string | undefined
  /** The delivery id in a `deliveries/{id}/…` topic, or undefined. */
  deliveryIdOf(topic: string): string | undefined
}

export function topics(prefix: string = DEFAULT_PREFIX): Topics {
  const p = prefix.replace(/\/+$/, '')
  const tele = `${p}/telemetry/`
  const cmd = `${p}/commands/`
  const del = `${p}/deliveries/`
  return {
    prefix: p,
    telemetry: (id) => tele + id,
    telemetryAll: `${tele}+`,
    telemetryBatch: (shard) => `${p}/telemetry-batch/${shard}`,
    telemetryBatchAll: `${p}/telemetry-batch/+`,
    commands: (id) => cmd + id,
    commandsAll: `${cmd}+`,
    deliveryEvents: (id) => `${del}${id}/events`,
    deliveryEventsAll: `${del}+/events`,
    tracking: (id) => `${del}${id}/tracking`,
    trackingAll: `${del}+/tracking`,
    requests: `${p}/requests`,
    simClock: `${p}/sim/clock`,
    engineWatermark: `${p}/engine/watermark`,
    droneIdOf(topic) {
      const rest = topic.startsWith(tele) ? topic.slice(tele.length) : topic.startsWith(cmd) ? topic.slice(cmd.length) : undefined
      return rest && !rest.includes('/') ? rest : undefined
    },
    deliveryIdOf(topic) {
      if (!topic.startsWith(del)) return undefined
      const id = topic.slice(del.length).split('/', 1)[0]
      return id || undefined
    },
  }
}
