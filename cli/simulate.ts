import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { decodeDeliveryEvent } from '../protocol/events.js'
import type { Topics } from '../protocol/topics.js'
import { checkExpectations } from '../sim/checkExpectations.js'
import { gatewaySubmitter } from '../sim/gatewayClient.js'
import { renderReport } from '../sim/renderReport.js'
import { ResultsCollector } from '../sim/ResultsCollector.js'
import { buildRunResults, type RunResults } from '../sim/runResults.js'
import type { Scenario } from '../sim/Scenario.js'
import { Simulator } from '../sim/Simulator.js'
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
}

/**
 * Flies a scenario against a running service (embedded by `run`, remote for
 * `sim`), collects the engine's delivery events, writes results.json and
 * report.html, prints the summary, and returns the exit code.
 */
export async function simulate(o: SimulateOptions): Promise<number> {
  const { scenario } = o
  const client = await connectMqtt(o.brokerUrl, clientId('sim'))
  const collector = new ResultsCollector()
  client.on('message', (topic, payload) => {
    if (o.topics.deliveryIdOf(topic) === undefined || !topic.endsWith('/events')) return
    const e = decodeDeliveryEvent(payload)
    if (e) collector.apply(e)
  })
  const progress = createProgress(scenario.name)
  const submit = gatewaySubmitter({ baseUrl: o.gatewayUrl, apiKey: o.apiKey })
  const sim = new Simulator({
    scenario, mqtt: client, topics: o.topics, workers: o.workers, speed: o.speed,
    submit: async (a) => {
      const id = await submit(a)
      collector.requested(id, a)
      return id
    },
    onTick: (p) => progress.update(p),
  })
  let results: RunResults
  try {
    await client.subscribeAsync(o.topics.deliveryEventsAll, { qos: 1 })
    const stats = await sim.run()
    const summary = collector.summary()
    results = buildRunResults(scenario, summary, checkExpectations(scenario.expect, summary), collector.deliveries(), stats, o.workers)
  } finally {
    progress.stop()
    await sim.close()
    await client.endAsync()
  }
  const outDir = resolve(o.out ?? join('results', scenario.name))
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  await writeFile(join(outDir, 'report.html'), renderReport(results))
  process.stdout.write(formatSummary(results, outDir))
  return results.expectations.every((e) => e.ok) ? 0 : 1
}

function formatSummary(r: RunResults, outDir: string): string {
  const w = r.wallClock
  return [
    '',
    `${r.scenario.name}: seed ${r.scenario.seed}, ${r.scenario.drones} drones, ${r.scenario.durationS / 60} simulated min in ${(w.wallMs / 1000).toFixed(1)} s (${w.realTimeFactor}× real time, ${w.samplesPerS} samples/s)`,
    '',
    `  ${'figure'.padEnd(20)} value`,
    ...Object.entries(r.summary).map(([k, v]) => `  ${k.padEnd(20)} ${v}`),
    '',
    ...r.expectations.map((e) => `  ${e.ok ? 'ok  ' : 'FAIL'} ${e.text}`),
    '',
    `results: ${join(outDir, 'results.json')}`,
    `report:  ${join(outDir, 'report.html')}`,
    '',
  ].join('\n')
}
