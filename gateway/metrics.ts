import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { DELIVERY_STATUSES } from '../protocol/events.js'
import { VERSION } from '../protocol/version.js'
import { CollectedHistogram } from './CollectedHistogram.js'
import type { TelemetryRejectReason } from '../protocol/telemetry.js'
import { ETA_ERROR_BUCKETS_S, type EngineStats } from '../protocol/views.js'

export interface GatewayMetrics {
  registry: Registry
  deliveriesAccepted: Counter
  /** Delivery requests refused with 503 because the engine was behind. */
  deliveriesShed: Counter
  httpRequests: Counter<'route' | 'status'>
  /** Time to answer an HTTP request, by method, route pattern (never the raw URL) and status. */
  httpDuration: Histogram<'method' | 'route' | 'status'>
  /** The engine's receipt of a sample → its tracking message handed to a WebSocket, wall-clock seconds. */
  pipelineLatency: Histogram
  /** Request accepted (PUBACK) → DroneAssigned seen by the gateway, seconds. */
  assignmentLatency: Histogram
  /** Delivery events and tracking messages from the broker that were malformed (dropped). */
  messagesRejected: Counter<'kind'>
}

/** The engine's lag, 0 when its stats do not say (an engine view without `lagMs`). */
export function engineLagMs(s: EngineStats): number {
  return 'lagMs' in s && typeof s.lagMs === 'number' && Number.isFinite(s.lagMs) ? s.lagMs : 0
}

const REJECT_REASONS: readonly TelemetryRejectReason[] = ['malformed', 'missing', 'type', 'range', 'topic', 'future', 'size', 'limit']

/**
 * A registry of its own (never prom-client's global one), so several gateways
 * can live in one process (tests) without "metric already registered".
 * Engine counters are owned by the engine; they are read at scrape time.
 */
export interface SocketCounts {
  clients(): number
  fleetClients(): number
  skipped(): number
  upgradesRefused?(): number
}

/**
 * `ws` returns the tracking socket once it listens (the registry exists before it does);
 * `pending` is the ingestion backlog (published requests the engine has not confirmed).
 */
export function createMetrics(o: { stats: () => EngineStats; ws: () => SocketCounts | undefined; pending: () => number }): GatewayMetrics {
  const registry = new Registry()
  // Unprefixed (process_*, nodejs_*): the names stock Node.js dashboards and alerts expect.
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  new Gauge({
    name: 'dronefleet_build_info',
    help: 'Always 1; its labels say which dronefleet and which Node.js run',
    labelNames: ['version', 'node_version'],
    registers,
  }).set({ version: VERSION, node_version: process.version }, 1)

  // Cheap by contract (the engine returns counters it already keeps), so read once per metric per scrape.
  const stats = o.stats

  new Counter({
    name: 'dronefleet_telemetry_received_total',
    help: 'Telemetry samples the engine received',
    registers,
    collect() {
      this.reset()
      this.inc(stats().telemetryReceived)
    },
  })
  new Counter({
    name: 'dronefleet_telemetry_rejected_total',
    help: 'Telemetry samples the engine rejected, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      const s = stats()
      const r = s.telemetryRejected
      this.reset()
      for (const reason of REJECT_REASONS) this.inc({ reason }, r[reason] ?? 0)
    },
  })
  new Counter({
    name: 'dronefleet_telemetry_stale_total',
    help: 'Telemetry samples dropped because their seq was not newer',
    registers,
    collect() {
      this.reset()
      this.inc(stats().telemetryStale)
    },
  })
  new Counter({
    name: 'dronefleet_assignments_total',
    help: 'Drone assignments the engine made',
    registers,
    collect() {
      this.reset()
      this.inc(stats().assignments)
    },
  })
  new Gauge({
    name: 'dronefleet_deliveries',
    help: 'Deliveries the engine holds, by status',
    labelNames: ['status'],
    registers,
    collect() {
      const by = stats().deliveriesByStatus
      for (const status of DELIVERY_STATUSES) this.set({ status }, by[status] ?? 0)
    },
  })
  new Gauge({
    name: 'dronefleet_engine_watermark_seconds',
    help: 'Latest event time the engine has processed, seconds since the epoch',
    registers,
    collect() {
      this.set(stats().watermark / 1000)
    },
  })
  new Gauge({
    name: 'dronefleet_ws_clients',
    help: 'Open WebSocket tracking connections',
    registers,
    collect() {
      this.set(o.ws()?.clients() ?? 0)
    },
  })
  // Engine counters that newer engines keep (optional in EngineStats): one counter each, 0 when absent.
  const ENGINE_COUNTERS: Array<[string, string, (s: EngineStats) => number | undefined]> = [
    ['dronefleet_telemetry_duplicate_total', 'Samples dropped as duplicates (same seq again)', (s) => s.telemetryDuplicate],
    [
      'dronefleet_telemetry_out_of_order_total',
      'Samples dropped because an older seq arrived after a newer one',
      (s) => s.telemetryOutOfOrder,
    ],
    ['dronefleet_telemetry_unknown_drone_total', 'Samples from drones the engine does not register', (s) => s.telemetryUnknownDrone],
    [
      'dronefleet_requests_rejected_total',
      'Messages on the requests topic that were not well-formed requests (dropped)',
      (s) => s.requestsRejected,
    ],
    ['dronefleet_drones_lost_total', 'Drones found silent or failed (DroneLost)', (s) => s.dronesLost],
    ['dronefleet_drones_reconciled_total', 'Lost drones that reported again and were reconciled', (s) => s.dronesReconciled],
    ['dronefleet_reassignments_total', 'Deliveries handed to another drone (DeliveryReassigned)', (s) => s.reassignments],
    ['dronefleet_geofence_entered_total', 'Zone entries (GeofenceEntered)', (s) => s.geofenceEntered],
    ['dronefleet_geofence_exited_total', 'Zone exits (GeofenceExited)', (s) => s.geofenceExited],
  ]
  for (const [name, help, read] of ENGINE_COUNTERS) {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(read(stats()) ?? 0)
      },
    })
  }
  // A histogram and a counter rather than a mean and a ratio: before any delivery completes they read as no data, not as a perfect 0.
  new CollectedHistogram(
    {
      name: 'dronefleet_eta_abs_error_seconds',
      help: '|actual release - ETA promised at assignment| of completed deliveries, seconds',
      buckets: ETA_ERROR_BUCKETS_S,
      registers,
    },
    () => {
      const e = stats().etaError
      return e && { buckets: e.buckets, count: e.count, sum: e.sumAbsS }
    },
  )
  new Counter({
    name: 'dronefleet_eta_within_window_total',
    help: 'Completed deliveries released inside their promised P10-P90 window (divide by dronefleet_eta_abs_error_seconds_count)',
    registers,
    collect() {
      this.reset()
      this.inc(stats().etaError?.withinWindow ?? 0)
    },
  })
  new Gauge({
    name: 'dronefleet_ws_fleet_clients',
    help: 'Open WebSocket /v1/fleet connections',
    registers,
    collect() {
      this.set(o.ws()?.fleetClients() ?? 0)
    },
  })
  new Gauge({
    name: 'dronefleet_ingest_pending',
    help: 'Delivery requests published but not yet confirmed by the engine (DeliveryCreated)',
    registers,
    collect() {
      this.set(o.pending())
    },
  })
  new Gauge({
    name: 'dronefleet_engine_lag_seconds',
    help: 'How long a message waits before the engine processes it (its own probe through the broker), wall-clock seconds',
    registers,
    collect() {
      this.set(engineLagMs(stats()) / 1000)
    },
  })
  new Counter({
    name: 'dronefleet_ws_tracking_skipped_total',
    help: 'Tracking messages a slow WebSocket client never got because a newer one replaced them',
    registers,
    collect() {
      this.reset()
      this.inc(o.ws()?.skipped() ?? 0)
    },
  })
  const deliveriesAccepted = new Counter({
    name: 'dronefleet_deliveries_accepted_total',
    help: 'Delivery requests the gateway accepted and handed to the broker',
    registers,
  })
  const deliveriesShed = new Counter({
    name: 'dronefleet_deliveries_shed_total',
    help: 'Delivery requests refused with 503 because the engine was behind',
    registers,
  })
  const httpRequests = new Counter<'route' | 'status'>({
    name: 'dronefleet_http_requests_total',
    help: 'HTTP requests, by route pattern and status code',
    labelNames: ['route', 'status'],
    registers,
  })
  const httpDuration = new Histogram<'method' | 'route' | 'status'>({
    name: 'dronefleet_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  })
  const pipelineLatency = new Histogram({
    name: 'dronefleet_pipeline_latency_seconds',
    help: 'The engine receiving a telemetry sample to its tracking message handed to a WebSocket client, wall-clock seconds',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  })
  const assignmentLatency = new Histogram({
    name: 'dronefleet_assignment_latency_seconds',
    help: 'Delivery request accepted to DroneAssigned seen by the gateway',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  })
  const messagesRejected = new Counter<'kind'>({
    name: 'dronefleet_messages_rejected_total',
    help: 'Delivery events and tracking messages from the broker that were malformed, by kind (dropped)',
    labelNames: ['kind'],
    registers,
  })
  return { registry, deliveriesAccepted, deliveriesShed, httpRequests, httpDuration, pipelineLatency, assignmentLatency, messagesRejected }
}
