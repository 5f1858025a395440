import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'
import type { Basemap } from '../gateway/basemap.js'
import { naiveEtas } from '../engine/naiveEtas.js'
import { decodeDeliveryEvent } from '../protocol/decodeDeliveryEvent.js'
import { decodeTracking } from '../protocol/tracking.js'
import type { Topics } from '../protocol/topics.js'
import { decodeClock } from '../protocol/clock.js'
import { type AcceptedDelivery, gatewayHistory, gatewaySubmitter } from '../sim/gatewayClient.js'
import { renderReport } from '../sim/report/renderReport.js'
import { ResultsCollector } from '../sim/report/ResultsCollector.js'
import { routesGeoJson } from '../sim/report/routesGeoJson.js'
import { buildRunResults, type RunResults } from '../sim/report/runResults.js'
import type { Scenario } from '../sim/scenario/Scenario.js'
import { Simulator, type SimProgress } from '../sim/Simulator.js'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'

export interface SimulateOptions {
  scenario: Scenario
  brokerUrl: string
  gatewayUrl: string
  apiKey: string | null
  topics: Topics
  /** The scenario's regions to fly (their drones and the demand picked up there); default all. */
  regions?: readonly string[] | undefined
  workers: number
  speed?: number | 'max' | undefined
  /** How long, of connected time, the simulator waits for the engine to confirm a tick before giving up (default 15 s). */
  engineTimeoutMs?: number | undefined
  out?: string | undefined
  /** Called after each tick (the CLI's progress bar, a benchmark's progress line). */
  onTick?: (p: SimProgress) => void
  /** Where the simulator's broker clients log disconnects and reconnects. */
  logger?: Logger | undefined
  /**
   * Ends the run early (Ctrl-C): the simulator stops after the tick in
   * progress and the results of what was flown are written all the same,
   * marked `interrupted`.
   */
  signal?: AbortSignal | undefined
  /** Tiles under report.html's map (DRONEFLEET_BASEMAP_URL); default none, and the report loads nothing. */
  basemap?: Basemap | null | undefined
  /** Each delivery the gateway accepted, with its tracking links. */
  onAccepted?: ((accepted: AcceptedDelivery) => void) | undefined
}

/**
 * Flies a scenario against a running service (embedded by `run`, remote for
 * `sim`), collects the engine's delivery events and ETAs on a second
 * connection (an observer that faults do not cut), writes results.json,
 * report.html and routes.geojson, and returns the results.
 */
export interface Simulated {
  results: RunResults
  /** Where results.json, report.html and routes.geojson were written. */
  outDir: string
}

export async function simulate(o: SimulateOptions): Promise<Simulated> {
  const { scenario } = o
  const speed = o.speed ?? scenario.speed
  // Both keep their sessions across a broker's restart or a brokerOutage
  // fault: the engine's commands and events sent meanwhile are kept by the
  // broker and arrive on reconnect, as they would for a real drone.
  const drones = await connectMqtt(o.brokerUrl, clientId('sim-drones'), {
    persistent: true,
    logger: o.logger,
    mqtt: { queueQoSZero: false },
  })
  const observer = await connectMqtt(o.brokerUrl, clientId('sim-observer'), { persistent: true, logger: o.logger }).catch(
    async (err: unknown) => {
      await drones.endAsync(true)
      throw err
    },
  )
  // The naive baselines the engine's ETAs are measured against, from the same tracking messages.
  const collector = new ResultsCollector(naiveEtas(scenario.drone, scenario.zones))
  // The latest watermark of each region flown, by topic: the observer has seen all once every region's has passed.
  const observed = new Map<string, number>()
  // The observer's connection dropped at least once (a close event, whatever followed it).
  let observerLost = false
  observer.on('close', () => {
    observerLost = true
  })
  observer.on('message', (topic, payload) => {
    const mark = observed.get(topic)
    if (mark !== undefined) {
      observed.set(topic, Math.max(mark, decodeClock(payload)?.t ?? -Infinity))
      return
    }
    if (o.topics.deliveryIdOf(topic) === undefined) return
    try {
      if (topic.endsWith('/events')) {
        const e = decodeDeliveryEvent(payload)
        if (e) collector.apply(e)
      } else if (topic.endsWith('/tracking')) {
        const m = decodeTracking(payload)
        if (m) collector.tracking(m)
      }
    } catch {
      // A malformed message from someone else on a shared broker: not ours to judge.
    }
  })
  // Each request carries a key derived from the run, so a retried POST cannot create a second delivery.
  const runKey = `${scenario.hash.slice(0, 16)}-${scenario.seed}-${randomBytes(4).toString('hex')}`
  const submit = gatewaySubmitter({ baseUrl: o.gatewayUrl, apiKey: o.apiKey, ...(o.onAccepted ? { onAccepted: o.onAccepted } : {}) })
  const ids: string[] = []
  let results: RunResults
  // Built inside the try: whatever fails (a fleet too large to allocate), the clients are closed and nothing hangs.
  let sim: Simulator | undefined
  try {
    sim = new Simulator({
      scenario,
      mqtt: drones,
      topics: o.topics,
      ...(o.regions ? { regions: o.regions } : {}),
      workers: o.workers,
      speed,
      ...(o.engineTimeoutMs === undefined ? {} : { engineTimeoutMs: o.engineTimeoutMs }),
      submit: async (a, request) => {
        const id = await submit(a, `${runKey}-${request}`)
        ids.push(id)
        collector.requested(id, a)
        return id
      },
      onTick: (p) => o.onTick?.(p),
      ...(o.signal ? { signal: o.signal } : {}),
    })
    for (const r of sim.regions.flying) observed.set(o.topics.forRegion(r).engineWatermark, -Infinity)
    await observer.subscribeAsync({
      [o.topics.deliveryEventsAll]: { qos: 1 },
      [o.topics.trackingAll]: { qos: 0 },
      ...Object.fromEntries([...observed.keys()].map((topic) => [topic, { qos: 1 as const }])),
    })
    const stats = await sim.run()
    // The observer has seen everything the engine decided once it has seen the last watermark.
    const last = scenario.start + stats.ticks * Math.round(scenario.tickS * 1000)
    const seen = (): number => Math.min(...observed.values())
    // Bounded only so that a watermark the broker lost cannot hang the run; on a busy machine it may take seconds.
    for (let waited = 0; seen() < last && waited < 30_000; waited += 10) await new Promise((r) => setTimeout(r, 10))
    // Events the observer never got (published while it was away, its broker restarted with the service)
    // are in the store: what it has not seen end is read there, a few at a time. Only then: an observer that
    // never lost its broker saw everything, and a run's results depend on nothing read at a moment of the wall clock.
    const history = gatewayHistory({ baseUrl: o.gatewayUrl, apiKey: o.apiKey })
    const open = observerLost ? collector.open() : []
    for (let i = 0; i < open.length; i += 16) {
      await Promise.all(
        open.slice(i, i + 16).map(async (id) => {
          const events = await history(id)
          if (events) collector.catchUp(id, events)
        }),
      )
    }
    const tickMs = Math.round(scenario.tickS * 1000)
    const interrupted = stats.ticks < Math.ceil((scenario.durationS * 1000) / tickMs)
    results = buildRunResults(scenario, collector, sim, stats, o.workers, speed, ids, interrupted)
  } finally {
    await sim?.close()
    await drones.endAsync(true)
    // A persistent session left subscribed would have the broker queue messages for it for ever.
    if (observer.connected)
      await observer.unsubscribeAsync([o.topics.deliveryEventsAll, o.topics.trackingAll, ...observed.keys()]).catch(() => undefined)
    await observer.endAsync(!observer.connected)
  }
  const outDir = resolve(o.out ?? join('results', scenario.name))
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  const routes = sim.missions.map((m) => ({ route: m.route, status: collector.get(m.deliveryId)?.status ?? null }))
  await writeFile(join(outDir, 'report.html'), renderReport(results, routes, { basemap: o.basemap ?? null }))
  await writeFile(join(outDir, 'routes.geojson'), `${JSON.stringify(routesGeoJson(sim.missions, collector, scenario.depots))}\n`)
  return { results, outDir }
}
