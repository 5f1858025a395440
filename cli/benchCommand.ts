import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { LoadPlan, parsePhases, type LoadPhase } from '../loadgen/LoadPlan.js'
import { runLoad, type LoadResult } from '../loadgen/runLoad.js'
import { checkThresholds, parseThreshold, type ThresholdResult } from '../loadgen/thresholds.js'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { clientId, connectMqtt } from './connectMqtt.js'
import { createLogger } from './logger.js'

export interface BenchFlags {
  rate: number
  duration: number
  phases?: string
  warmup: number
  drones: number
  connections: number
  format: 'json' | 'binary'
  batch: number
  linger: number
  qos: 0 | 1
  window: number
  wsClients: number
  broker: string[]
  threshold: string[]
  out: string
}

/** The figures a `--threshold` can name. */
export const BENCH_METRICS = ['throughput', 'bare', 'p50', 'p90', 'p99', 'p99.9', 'max', 'ws.p50', 'ws.p90', 'ws.p99', 'ws.p99.9', 'ws.max', 'loss', 'lossRate', 'reordered', 'duplicates', 'ratio'] as const

function figures(r: LoadResult): Record<string, number> {
  const f: Record<string, number> = {
    throughput: r.engine.throughput, bare: r.bare.throughput, loss: r.engine.lost, lossRate: r.engine.lossRate, reordered: r.engine.reordered,
    duplicates: r.engine.duplicates, ratio: r.ratio,
  }
  // No arrivals means no latency: a threshold on it must fail, not pass on 0.
  for (const k of ['p50', 'p90', 'p99', 'p99.9', 'max'] as const) {
    if (r.engine.latency.count > 0) f[k] = r.engine.latency[k]
    if (r.ws && r.ws.latency.count > 0) f[`ws.${k}`] = r.ws.latency[k]
  }
  return f
}

/** `dronefleet bench`: exit 0 when every threshold holds on every broker, 1 when one misses. */
export async function benchCommand(flags: BenchFlags): Promise<number> {
  const phases: LoadPhase[] = flags.phases ? parsePhases(flags.phases) : [{ rate: flags.rate, durationS: flags.duration }]
  const plan = new LoadPlan(phases)
  const thresholds = flags.threshold.map((t) => parseThreshold(t, BENCH_METRICS))
  if (flags.wsClients > flags.drones) {
    throw new DronefleetError(ErrorCodes.FLAG_INVALID, `--ws-clients (${flags.wsClients}) cannot exceed --drones (${flags.drones})`, '--ws-clients', flags.wsClients)
  }
  const brokers = flags.broker.length ? flags.broker : ['embedded']
  const logger = createLogger('warn')
  const runs: Array<{ broker: string; result: LoadResult; thresholds: ThresholdResult[] }> = []
  for (const broker of brokers) {
    process.stderr.write(`bench: ${plan.total.toLocaleString('en')} ${flags.format} positions over ${plan.durationS} s on ${broker}${flags.warmup > 0 ? ` after a ${flags.warmup} s warm-up ramp (not measured)` : ''}\n`)
    const result = await runLoad({
      broker: broker === 'embedded' ? undefined : broker, phases, drones: flags.drones, connections: flags.connections,
      format: flags.format, batchSize: flags.batch, lingerMs: flags.linger, qos: flags.qos, window: flags.window, wsClients: flags.wsClients, warmupS: flags.warmup, logger,
      connect: (url, role) => connectMqtt(url, clientId(role)),
      onSecond: (p) => process.stderr.write(`  ${p.second < 0 ? 'warm-up' : `${String(p.second).padStart(4)} s`}  sent ${p.sent.toLocaleString('en').padStart(11)}  engine ${p.engine.toLocaleString('en').padStart(9)}/s  bare ${p.bare.toLocaleString('en').padStart(9)}/s  p99 ${p.p99} ms\n`),
    })
    runs.push({ broker, result, thresholds: checkThresholds(thresholds, figures(result)) })
  }
  const out = resolve(flags.out)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify({ runs }, null, 2)}\n`)
  process.stdout.write(table(runs.map((r) => [r.broker, r.result.engineLink, figures(r.result)])))
  for (const r of runs) {
    for (const t of r.thresholds) process.stdout.write(`  ${t.ok ? 'ok  ' : 'FAIL'} ${r.broker}: ${t.text} (got ${t.actual ?? 'nothing'})\n`)
  }
  process.stdout.write(`report: ${out}\n`)
  return runs.every((r) => r.thresholds.every((t) => t.ok)) ? 0 : 1
}

function table(cols: Array<[broker: string, link: string, figures: Record<string, number>]>): string {
  const rows = BENCH_METRICS.filter((m) => cols.some(([, , f]) => f[m] !== undefined))
  const unit = (m: string): string => (/^(ws\.)?(p|max)/.test(m) ? ' ms' : m === 'throughput' || m === 'bare' ? ' /s' : '')
  const lines = [`\n  ${'figure'.padEnd(12)}${cols.map(([b]) => b.padStart(26)).join('')}`, `  ${'engine link'.padEnd(12)}${cols.map(([, l]) => l.padStart(26)).join('')}`]
  for (const m of rows) lines.push(`  ${m.padEnd(12)}${cols.map(([, , f]) => `${f[m] === undefined ? '-' : f[m]!.toLocaleString('en')}${unit(m)}`.padStart(26)).join('')}`)
  return `${lines.join('\n')}\n\n`
}
