import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { decodeDeliveryEvent } from '../protocol/events.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { Topics } from '../protocol/topics.js'
import { decodeClock } from '../protocol/clock.js'
import { gatewaySubmitter } from '../sim/gatewayClient.js'
import { renderReport } from '../sim/renderReport.js'
import { ResultsCollector } from '../sim/ResultsCollector.js'
import { routesGeoJson } from '../sim/routesGeoJson.js'
import { allHeld, buildRunResults, type RunResults } from '../sim/runResults.js'
import type { Scenario } from '../sim/Scenario.js'
import { formatFigure } from '../sim/summaryFigures.js'
import { Simulator, type SimProgress } from '../sim/Simulator.js'
import { clientId, connectMqtt } from './connectMqtt.js'
import { createProgress } from './progress.js'

export interface SimulateOptions {
  scenario: Scenario
  brokerUrl: string
  gatewayUrl: string
  apiKey: string | null
  topics: Topics
  workers: number
  speed?: number | 'max' | undefined
  out?: string | undefined
  /** Print the summary table on stdout (the CLI does; tests need not). */
  quiet?: boolean
  /** Called after each tick (benchmarks report progress with it when quiet). */
  onTick?: (p: SimProgress) => void
}

/**
 * The drones' own connection: a persistent session, so commands the engine
 * sends while a brokerOutage fault has it down are kept by the broker and
 * arrive when it reconnects, as they would for a real drone.
 */
async function connectDrones(url: string): Promise<MqttClient> {
  try {
    const c = await mqtt.connectAsync(url, { clientId: clientId('sim-drones'), clean: false, reconnectPeriod: 1000, connectTimeout: 5000, queueQoSZero: false }, false)
    const noDelay = (): void => (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
    noDelay()
    c.on('connect', noDelay)
    return c
  } catch (err) {
    throw new DronefleetError(ErrorCodes.BROKER_UNREACHABLE, `cannot reach the MQTT broker at ${url}: ${(err as Error).message}; check --broker`, '--broker', url)
  }
}

/**
 * Flies a scenario against a running service (embedded by `run`, remote for
 * `sim`), collects the engine's delivery events and ETAs on a second
 * connection (an observer that faults do not cut), writes results.json,
 * report.html and routes.geojson, prints the summary, and returns the exit code.
 */
export async function simulate(o: SimulateOptions): Promise<number> {
  const { scenario } = o
  const speed = o.speed ?? scenario.speed
  const drones = await connectDrones(o.brokerUrl)
  const observer = await connectMqtt(o.brokerUrl, clientId('sim-observer')).catch(async (err: unknown) => { await drones.endAsync(true); throw err })
  const collector = new ResultsCollector()
  let observed = -Infinity
  observer.on('message', (topic, payload) => {
    if (topic === o.topics.engineWatermark) {
      observed = Math.max(observed, decodeClock(payload)?.t ?? -Infinity)
      return
    }
    if (o.topics.deliveryIdOf(topic) === undefined) return
    try {
      if (topic.endsWith('/events')) {
        const e = decodeDeliveryEvent(payload)
        if (e) collector.apply(e)
      } else if (topic.endsWith('/tracking')) {
        collector.tracking(JSON.parse(payload.toString()) as TrackingMessage)
      }
    } catch {
      // A malformed message from someone else on a shared broker: not ours to judge.
    }
  })
  const progress = o.quiet ? { update() {}, stop() {} } : createProgress(scenario.name)
  // Each request carries a key derived from the run, so a retried POST cannot create a second delivery.
  const runKey = `${scenario.hash.slice(0, 16)}-${scenario.seed}-${randomBytes(4).toString('hex')}`
  const submit = gatewaySubmitter({ baseUrl: o.gatewayUrl, apiKey: o.apiKey })
  const ids: string[] = []
  const sim = new Simulator({
    scenario, mqtt: drones, topics: o.topics, workers: o.workers, speed,
    submit: async (a, request) => {
      const id = await submit(a, `${runKey}-${request}`)
      ids.push(id)
      collector.requested(id, a)
      return id
    },
    onTick: (p) => {
      progress.update(p)
      o.onTick?.(p)
    },
  })
  let results: RunResults
  try {
    await observer.subscribeAsync({ [o.topics.deliveryEventsAll]: { qos: 1 }, [o.topics.trackingAll]: { qos: 0 }, [o.topics.engineWatermark]: { qos: 1 } })
    const stats = await sim.run()
    // The observer has seen everything the engine decided once it has seen the last watermark.
    const last = scenario.start + stats.ticks * Math.round(scenario.tickS * 1000)
    for (let waited = 0; observed < last && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10))
    results = buildRunResults(scenario, collector, sim, stats, o.workers, speed, ids)
  } finally {
    progress.stop()
    await sim.close()
    await drones.endAsync(true)
    await observer.endAsync()
  }
  const outDir = resolve(o.out ?? join('results', scenario.name))
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  const routes = sim.missions.map((m) => ({ route: m.route, status: collector.get(m.deliveryId)?.status ?? null }))
  await writeFile(join(outDir, 'report.html'), renderReport(results, routes))
  await writeFile(join(outDir, 'routes.geojson'), `${JSON.stringify(routesGeoJson(sim.missions, collector, scenario.depots))}\n`)
  if (!o.quiet) process.stdout.write(formatSummary(results, outDir))
  return allHeld(results) ? 0 : 1
}

function formatSummary(r: RunResults, outDir: string): string {
  const w = r.wallClock
  return [
    '',
    `${r.scenario.name}: seed ${r.scenario.seed}, ${r.scenario.drones} drones, ${r.scenario.durationS / 60} simulated min in ${(w.wallMs / 1000).toFixed(1)} s (${w.realTimeFactor}× real time, ${w.samplesPerS} samples/s)`,
    '',
    `  ${'figure'.padEnd(20)} value`,
    ...Object.entries(r.summary).map(([k, v]) => `  ${k.padEnd(20)} ${formatFigure(v)}`),
    ...(r.faults.length ? ['', ...r.faults.map((f) => `  fault ${f.type} (line ${f.line}): ${f.drones.length} drone(s), ${JSON.stringify(f.effect).slice(0, 160)}`)] : []),
    '',
    ...[...r.expectations, ...w.expectations].map((e) => `  ${e.ok ? 'ok  ' : 'FAIL'} ${e.text}`),
    '',
    `results: ${join(outDir, 'results.json')}`,
    `report:  ${join(outDir, 'report.html')}`,
    `routes:  ${join(outDir, 'routes.geojson')}`,
    '',
  ].join('\n')
}
