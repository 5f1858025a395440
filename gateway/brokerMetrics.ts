import { Counter, Gauge, type Registry } from 'prom-client'
import type { BrokerLink } from '../protocol/BrokerLink.js'

/** What the embedded broker refused (broker/embeddedBroker.ts BrokerRefusals), when there is one. */
export interface BrokerRefusalCounts {
  authFailures: number
  publishes: number
  subscriptions: number
  oversizedPackets: number
  slowSubscriberDrops: number
}

export interface BrokerMetricSources {
  link: BrokerLink
  /** Absent on an external broker: it keeps its own counts. */
  refusals?: (() => BrokerRefusalCounts) | undefined
  /** WebSocket upgrades refused so far. */
  upgradesRefused: () => number
}

/**
 * The gateway's view of its broker and its edges in /metrics: whether its
 * link is connected, what the embedded broker refused (bad credentials,
 * publishes and subscriptions outside a role, oversized packets, QoS 0
 * messages dropped for a slow subscriber) and refused WebSocket upgrades.
 * All read at scrape time.
 */
export function registerBrokerMetrics(registry: Registry, o: BrokerMetricSources): void {
  const registers = [registry]
  new Gauge({
    name: 'dronefleet_broker_connected',
    help: '1 while the gateway is connected to the message broker, else 0',
    registers,
    collect() {
      this.set(o.link.connected ? 1 : 0)
    },
  })
  const counters: Array<[string, string, (r: BrokerRefusalCounts) => number]> = [
    ['dronefleet_broker_auth_failures_total', 'Broker connections refused for bad credentials', (r) => r.authFailures],
    ['dronefleet_broker_publishes_refused_total', 'Publishes the broker refused (topic outside the role)', (r) => r.publishes],
    ['dronefleet_broker_subscriptions_refused_total', 'Subscriptions the broker refused (topic outside the role)', (r) => r.subscriptions],
    ['dronefleet_broker_oversized_packets_total', 'Broker connections closed for a packet over the size limit', (r) => r.oversizedPackets],
    [
      'dronefleet_broker_slow_subscriber_drops_total',
      'QoS 0 messages the broker dropped for a subscriber too far behind',
      (r) => r.slowSubscriberDrops,
    ],
  ]
  for (const [name, help, read] of counters) {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        const r = o.refusals?.()
        if (r) this.inc(read(r))
      },
    })
  }
  new Counter({
    name: 'dronefleet_ws_upgrades_refused_total',
    help: 'WebSocket upgrades refused (bad token or key, unknown delivery, wrong path)',
    registers,
    collect() {
      this.reset()
      this.inc(o.upgradesRefused())
    },
  })
}
