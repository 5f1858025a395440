import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { DELIVERY_STATUSES } from '../protocol/events.js'
import type { TelemetryRejectReason } from '../protocol/telemetry.js'
import type { EngineStats } from '../protocol/views.js'

export interface GatewayMetrics {
  registry: Registry
  deliveriesAccepted: Counter
  httpRequests: Counter<'route' | 'status'>
}

const REJECT_REASONS: readonly TelemetryRejectReason[] = ['malformed', 'missing', 'type', 'range', 'topic']

/**
 * A registry of its own (never prom-client's global one), so several gateways
 * can live in one process (tests) without "metric already registered".
 * Engine counters are owned by the engine; they are read at scrape time.
 */
export interface SocketCounts {
  clients(): number
  skipped(): number
}

/** `ws` returns the tracking socket once it listens (the registry exists before it does). */
export function createMetrics(o: { stats: () => EngineStats; ws: () => SocketCounts | undefined }): GatewayMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'dronefleet_' })
  const registers = [registry]

  // Cheap by contract (the engine returns counters it already keeps), so read once per metric per scrape.
  const stats = o.stats

  new Counter({
    name: 'dronefleet_telemetry_received_total', help: 'Telemetry samples the engine received', registers,
    collect() {
      this.reset()
      this.inc(stats().telemetryReceived)
    },
  })
  new Counter({
    name: 'dronefleet_telemetry_rejected_total', help: 'Telemetry samples the engine rejected, by reason', labelNames: ['reason'], registers,
    collect() {
      const r = stats().telemetryRejected
      this.reset()
      for (const reason of REJECT_REASONS) this.inc({ reason }, r[reason] ?? 0)
    },
  })
  new Counter({
    name: 'dronefleet_telemetry_stale_total', help: 'Telemetry samples dropped because their seq was not newer', registers,
    collect() {
      this.reset()
      this.inc(stats().telemetryStale)
    },
  })
  new Counter({
    name: 'dronefleet_assignments_total', help: 'Drone assignments the engine made', registers,
    collect() {
      this.reset()
      this.inc(stats().assignments)
    },
  })
  new Gauge({
    name: 'dronefleet_deliveries', help: 'Deliveries the engine holds, by status', labelNames: ['status'], registers,
    collect() {
      const by = stats().deliveriesByStatus
      for (const status of DELIVERY_STATUSES) this.set({ status }, by[status] ?? 0)
    },
  })
  new Gauge({
    name: 'dronefleet_engine_watermark_seconds', help: 'Latest event time the engine has processed, seconds since the epoch', registers,
    collect() {
      this.set(stats().watermark / 1000)
    },
  })
  new Gauge({
    name: 'dronefleet_ws_clients', help: 'Open WebSocket tracking connections', registers,
    collect() {
      this.set(o.ws()?.clients() ?? 0)
    },
  })
  new Counter({
    name: 'dronefleet_ws_tracking_skipped_total', help: 'Tracking messages not sent to a slow WebSocket client (it gets the next one)', registers,
    collect() {
      this.reset()
      this.inc(o.ws()?.skipped() ?? 0)
    },
  })
  const deliveriesAccepted = new Counter({
    name: 'dronefleet_deliveries_accepted_total', help: 'Delivery requests the gateway accepted and handed to the broker', registers,
  })
  const httpRequests = new Counter<'route' | 'status'>({
    name: 'dronefleet_http_requests_total', help: 'HTTP requests, by route pattern and status code', labelNames: ['route', 'status'], registers,
  })
  return { registry, deliveriesAccepted, httpRequests }
}
