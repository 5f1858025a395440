/**
 * `npm run bench`: every named case, one after another (they would fight
 * over the two cores otherwise), each printing its figures; the lines they
 * print are collected into results/bench-summary.json.
 *   node dist/bench/run-all.js [case…]
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../', import.meta.url))
const cli = `${dist}cli/main.js`
const CASES: Record<string, string[]> = {
  'index-eta-geofence': ['--expose-gc', `${dist}bench/engine-updates.js`],
  dispatch: [`${dist}bench/dispatch-nearest.js`],
  codec: [`${dist}bench/codec.js`],
  'json-pipeline': [cli, 'bench', '--format', 'json', '--drones', '10000', '--rate', '50000', '--duration', '10', '--warmup', '5', '--out', 'results/bench-json.json'],
  'binary-pipeline': [cli, 'bench', '--format', 'binary', '--batch', '1000', '--drones', '10000', '--rate', '1000000', '--duration', '10', '--warmup', '3', '--out', 'results/bench-binary.json'],
  'ws-fanout': [`${dist}bench/ws-fanout.js`, '--clients', '10000', '--seconds', '10'],
  'rest-ingest': [`${dist}bench/rest-ingest.js`, '--connections', '50', '--seconds', '10'],
  'sim-realtime': [`${dist}bench/sim-throughput.js`, 'realtime', '30', '2'],
}

const wanted = process.argv.slice(2)
const unknown = wanted.filter((w) => !(w in CASES))
if (unknown.length) {
  console.error(`unknown case ${unknown.join(', ')}; cases: ${Object.keys(CASES).join(', ')}`)
  process.exit(2)
}
const summary: Record<string, { command: string; exitCode: number | null; seconds: number; figures: string[] }> = {}
for (const [name, args] of Object.entries(CASES)) {
  if (wanted.length && !wanted.includes(name)) continue
  console.log(`\n== ${name}`)
  const began = performance.now()
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 })
  process.stdout.write(r.stdout)
  summary[name] = {
    command: `node ${args.map((a) => a.replace(dist, 'dist/')).join(' ')}`,
    exitCode: r.status,
    seconds: Math.round((performance.now() - began) / 100) / 10,
    figures: r.stdout.split('\n').map((l) => l.trim()).filter(Boolean),
  }
}
mkdirSync('results', { recursive: true })
writeFileSync('results/bench-summary.json', `${JSON.stringify({ at: new Date().toISOString(), summary }, null, 2)}\n`)
console.log('\nsummary: results/bench-summary.json')
