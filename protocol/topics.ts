/**
 * The MQTT topic tree. Every part builds topics here so names never drift.
 * DESIGN.md §4 lists the public ones; `requests`, `tracking`, `sim/clock`,
 * `engine/watermark` and `engine/probe/{instance}` are the internal ones (documented in README.md).
 */
export const DEFAULT_PREFIX = 'dronefleet/v1'

/** The one region of a world without `regions:`; its topics are the unscoped ones. */
export const DEFAULT_REGION = 'default'

/** A region id: what a topic level and a lease may hold. */
export const REGION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/

export interface Topics {
  readonly prefix: string
  /** The region whose telemetry, requests and clock these topics carry (DEFAULT_REGION: the unscoped topics). */
  readonly region: string
  /** The same tree for another region: telemetry, batches, requests, sim/clock and engine/watermark under `regions/{region}/`; commands, deliveries and tracking are shared. */
  forRegion(region: string): Topics
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
  /** Engine → itself: its lag probe (engine/mqtt/LagProbe.ts), one topic per engine instance. */
  engineProbe(instance: string): string
  readonly engineProbeAll: string
  /** Engine process → gateways: its regions, counters and drones every second (protocol/engineStatus.ts), when they run apart. */
  engineStatus(holder: string): string
  readonly engineStatusAll: string
  /** The drone id in a `telemetry/{id}` or `commands/{id}` topic, or undefined. */
  droneIdOf(topic: string): string | undefined
  /** The delivery id in a `deliveries/{id}/…` topic, or undefined. */
  deliveryIdOf(topic: string): string | undefined
}

export function topics(prefix: string = DEFAULT_PREFIX, region: string = DEFAULT_REGION): Topics {
  const p = prefix.replace(/\/+$/, '')
  // What a broker routes to the region's owner carries the region; the default region keeps today's topics.
  const r = region === DEFAULT_REGION ? p : `${p}/regions/${region}`
  const tele = `${r}/telemetry/`
  const cmd = `${p}/commands/`
  const del = `${p}/deliveries/`
  return {
    prefix: p,
    region,
    forRegion: (other) => topics(p, other),
    telemetry: (id) => tele + id,
    telemetryAll: `${tele}+`,
    telemetryBatch: (shard) => `${r}/telemetry-batch/${shard}`,
    telemetryBatchAll: `${r}/telemetry-batch/+`,
    commands: (id) => cmd + id,
    commandsAll: `${cmd}+`,
    deliveryEvents: (id) => `${del}${id}/events`,
    deliveryEventsAll: `${del}+/events`,
    tracking: (id) => `${del}${id}/tracking`,
    trackingAll: `${del}+/tracking`,
    requests: `${r}/requests`,
    simClock: `${r}/sim/clock`,
    engineWatermark: `${r}/engine/watermark`,
    engineProbe: (instance) => `${p}/engine/probe/${instance}`,
    engineProbeAll: `${p}/engine/probe/+`,
    engineStatus: (holder) => `${p}/engine/status/${holder}`,
    engineStatusAll: `${p}/engine/status/+`,
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
