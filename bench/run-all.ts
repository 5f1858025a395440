/**
 * `npm run bench`: every named case, one after another (they would fight
 * over the two cores otherwise), each printing its figures; the lines they
 * print are collected into results/bench-summary.json. The capacity cases
 * (`bench --find-max`) run RUNS times each, and their reports make the
 * README's performance table, written to results/bench-table.md.
 *   node dist/bench/run-all.js [case…]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LoadResult } from '../loadgen/runLoad.js'
import { capacityTable, type CapacityReport } from './capacityTable.js'

const dist = fileURLToPath(new URL('../', import.meta.url))
const cli = `${dist}cli/main.js`
const RUNS = 3
/** A broker on this host to compare with, when one answers: MOSQUITTO_URL (e.g. mqtt://127.0.0.1:1883). */
const brokers = ['--broker', 'embedded', ...(process.env.MOSQUITTO_URL ? ['--broker', process.env.MOSQUITTO_URL] : [])]
const findMax = (name: string, args: string[]): string[] => [
  cli,
  'bench',
  '--find-max',
  '--drones',
  '10000',
  '--warmup',
  '2',
  '--step-duration',
  '5',
  ...brokers,
  ...args,
  '--out',
  `results/${name}.json`,
]
/** The capacity cases, each run RUNS times: the README's table. */
const CAPACITY: Record<string, string[]> = {
  'capacity-json-realistic': findMax('capacity-json-realistic', ['--format', 'json', '--load', 'realistic', '--p99-bound', '25']),
  'capacity-json-ingest': findMax('capacity-json-ingest', ['--format', 'json', '--load', 'ingest', '--p99-bound', '25']),
  'capacity-binary-realistic': findMax('capacity-binary-realistic', [
    '--format',
    'binary',
    '--batch',
    '1000',
    '--load',
    'realistic',
    '--p99-bound',
    '100',
  ]),
  'capacity-binary-ingest': findMax('capacity-binary-ingest', [
    '--format',
    'binary',
    '--batch',
    '1000',
    '--load',
    'ingest',
    '--p99-bound',
    '100',
  ]),
}
const CASES: Record<string, string[]> = {
  ...CAPACITY,
  'index-eta-geofence': ['--expose-gc', `${dist}bench/engine-updates.js`],
  dispatch: [`${dist}bench/dispatch-nearest.js`],
  codec: [`${dist}bench/codec.js`],
  'json-pipeline': [
    cli,
    'bench',
    '--format',
    'json',
    '--drones',
    '10000',
    '--rate',
    '50000',
    '--duration',
    '10',
    '--warmup',
    '5',
    '--out',
    'results/bench-json.json',
  ],
  'binary-pipeline': [
    cli,
    'bench',
    '--format',
    'binary',
    '--batch',
    '1000',
    '--drones',
    '10000',
    '--rate',
    '1000000',
    '--duration',
    '10',
    '--warmup',
    '3',
    '--out',
    'results/bench-binary.json',
  ],
  // 10,000 drones at 1 Hz through the real engine, each tracked by a client in the clients' own thread.
  'ws-tracking': [
    cli,
    'bench',
    '--drones',
    '10000',
    '--rate',
    '10000',
    '--duration',
    '10',
    // Long enough for the 10,000 tracked deliveries to be requested and their sockets opened (the report warns otherwise).
    '--warmup',
    '15',
    '--ws-clients',
    '10000',
    '--out',
    'results/bench-ws.json',
  ],
  'ws-fanout': [`${dist}bench/ws-fanout.js`, '--clients', '10000', '--seconds', '10'],
  'operator-map': [`${dist}bench/operator-map.js`, '--drones', '10000', '--seconds', '20'],
  'rest-ingest': [`${dist}bench/rest-ingest.js`, '--connections', '50', '--seconds', '10'],
  'sim-realtime': [`${dist}bench/sim-throughput.js`, 'realtime', '30', '2'],
  'store-engines': [`${dist}bench/store-engines.js`, '--seconds', '3', '--runs', '3'],
  'store-throughput': [`${dist}bench/store-throughput.js`, '--seconds', '5', '--runs', '3'],
  'store-recovery': [`${dist}bench/store-recovery.js`, '--open', '100000', '--runs', '5'],
  'store-per-delivery': [`${dist}bench/store-per-delivery.js`, '--runs', '3'],
  // Its own Mosquitto on a free port; one engine, then two side by side, with CPU time per sample.
  'two-engines': [`${dist}bench/two-engines.js`, '--runs', '3'],
  'eta-accuracy': [`${dist}bench/eta-accuracy.js`, '--out', 'results/eta-accuracy.json'],
}

const wanted = process.argv.slice(2)
const unknown = wanted.filter((w) => !(w in CASES))
if (unknown.length) {
  console.error(`unknown case ${unknown.join(', ')}; cases: ${Object.keys(CASES).join(', ')}`)
  process.exit(2)
}
const summary: Record<string, { command: string; exitCode: number | null; seconds: number; figures: string[] }> = {}
const capacity: Array<{ name: string; reports: CapacityReport[] }> = []
mkdirSync('results', { recursive: true })
for (const [name, args] of Object.entries(CASES)) {
  if (wanted.length && !wanted.includes(name)) continue
  const repeat = name in CAPACITY ? RUNS : 1
  const reports: CapacityReport[] = []
  for (let run = 1; run <= repeat; run++) {
    const key = repeat > 1 ? `${name} #${run}` : name
    console.log(`\n== ${key}`)
    const began = performance.now()
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 })
    process.stdout.write(r.stdout)
    summary[key] = {
      command: `node ${args.map((a) => a.replace(dist, 'dist/')).join(' ')}`,
      exitCode: r.status,
      seconds: Math.round((performance.now() - began) / 100) / 10,
      figures: r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    }
    const out = `results/${name}.json`
    if (name in CAPACITY && existsSync(out)) {
      const text = readFileSync(out, 'utf8')
      writeFileSync(`results/${name}-${run}.json`, text) // each run's report is kept
      reports.push(JSON.parse(text) as CapacityReport)
    }
  }
  if (reports.length) capacity.push({ name: name.replace('capacity-', ''), reports })
}
if (capacity.length) {
  let table = capacityTable(capacity)
  if (summary['ws-tracking'] && existsSync('results/bench-ws.json')) {
    const ws = (JSON.parse(readFileSync('results/bench-ws.json', 'utf8')) as { runs: Array<{ result: LoadResult }> }).runs[0]?.result
    const l = ws?.ws?.latency
    if (ws && l)
      table += `\nTelemetry → WebSocket, ${ws.ws!.clients.toLocaleString('en')} tracking clients, ${ws.config.drones.toLocaleString('en')} drones at ${ws.config.phases[0]!.rate / ws.config.drones} Hz through the real engine (one run): p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms over ${l.count.toLocaleString('en')} messages; engine p99 ${ws.engine.latency.p99} ms; baseline ${ws.baseline.valid ? 'valid' : `invalid: ${ws.baseline.reason}`}.\n`
  }
  writeFileSync('results/bench-table.md', table)
  console.log('\ntable: results/bench-table.md')
}
writeFileSync('results/bench-summary.json', `${JSON.stringify({ at: new Date().toISOString(), summary }, null, 2)}\n`)
console.log('\nsummary: results/bench-summary.json')
