import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { LoadPlan, parsePhases, type LoadPhase } from '../loadgen/LoadPlan.js'
import type { LoadKind } from '../loadgen/LoadWorld.js'
import type { LoopFigures } from '../loadgen/engineLoop.js'
import { runLoad, type LoadOptions, type LoadResult } from '../loadgen/runLoad.js'
import { checkThresholds, parseThreshold, type ThresholdResult } from '../loadgen/thresholds.js'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import { benchEnvironment } from './benchEnvironment.js'
import { ExitCodes } from './exitCodes.js'
import { findMax, type FindMaxResult } from './findMax.js'
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
  load: LoadKind
  deliveries?: number
  duplicates: number
  reorder: number
  decoder: 'thread' | 'inline'
  findMax?: boolean
  steps?: string
  stepDuration: number
  p99Bound?: number
  broker: string[]
  threshold: string[]
  out: string
}

/** The figures a `--threshold` can name. */
export const BENCH_METRICS = [
  'throughput',
  'bare',
  'p50',
  'p90',
  'p95',
  'p99',
  'p99.9',
  'max',
  'mean',
  'ws.p50',
  'ws.p90',
  'ws.p95',
  'ws.p99',
  'ws.p99.9',
  'ws.max',
  'bare.p99',
  'bare.loss',
  'loss',
  'lossRate',
  'reordered',
  'duplicates',
  'ratio',
  'capacity',
  'bareCapacity',
  'loop.busy',
  'loop.cpu',
  'loop.util',
  'decoder.busy',
  'decoder.cpu',
  'decoder.util',
] as const

/** The unit each figure is printed with. */
export function unitOf(metric: string): string {
  if (/^(ws\.|bare\.)?(p\d|max|mean)/.test(metric)) return 'ms'
  if (['throughput', 'bare', 'capacity', 'bareCapacity'].includes(metric)) return 'positions/s'
  if (metric === 'lossRate') return 'fraction'
  if (metric === 'ratio') return '×'
  if (metric.endsWith('.busy') || metric.endsWith('.cpu')) return 'µs/position'
  if (metric.endsWith('.util')) return 'fraction'
  return 'positions'
}

function figures(r: LoadResult): Record<string, number> {
  const f: Record<string, number> = {
    throughput: r.engine.throughput,
    bare: r.bare.throughput,
    loss: r.engine.lost,
    lossRate: r.engine.lossRate,
    reordered: r.engine.reordered,
    duplicates: r.engine.duplicates,
    'bare.loss': r.bare.lost,
  }
  if (r.ratio !== null) f.ratio = r.ratio
  // No arrivals means no latency: a threshold on it must fail, not pass on 0.
  for (const k of ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean'] as const) {
    if (r.engine.latency.count > 0) f[k] = r.engine.latency[k]
    if (r.ws && r.ws.latency.count > 0) f[`ws.${k}`] = r.ws.latency[k]
  }
  if (r.bare.latency.count > 0) f['bare.p99'] = r.bare.latency.p99
  const loop = (name: string, l: LoopFigures): void => {
    f[`${name}.busy`] = l.busyUsPerPosition
    if (l.cpuUsPerPosition !== null) f[`${name}.cpu`] = l.cpuUsPerPosition
    f[`${name}.util`] = l.utilization
  }
  if (r.engineLoop) loop('loop', r.engineLoop)
  if (r.engineLoop?.decoder) loop('decoder', r.engineLoop.decoder)
  return f
}

/** Threads the run keeps busy on this machine: the bench's own, plus a broker on this host. */
function threadWarning(r: LoadResult, broker: string): string | null {
  const local = broker === 'embedded' ? 0 : /\/\/(127\.|localhost|\[::1\])/.test(broker) ? 1 : 0
  const threads = r.threads + local
  return threads > r.cores
    ? `${threads} busy threads${local ? ' (with the local broker)' : ''} share ${r.cores} cores: figures include time spent waiting for a core`
    : null
}

/** The tracking clients that were not yet watching when the measurement began: their latency is missing from ws.*. */
function clientsWarning(r: LoadResult): string | null {
  if (!r.ws || r.ws.connectedAtMeasure >= r.ws.clients) return null
  return `only ${r.ws.connectedAtMeasure.toLocaleString('en')} of ${r.ws.clients.toLocaleString('en')} tracking clients were connected when the measurement began: raise --warmup`
}

/**
 * `dronefleet bench`: exit 0 when every threshold holds on every broker, 1
 * when one misses, 5 when a baseline lost positions (the comparison is then
 * void, whatever the thresholds say).
 */
export async function benchCommand(flags: BenchFlags): Promise<number> {
  const phases: LoadPhase[] = flags.phases ? parsePhases(flags.phases) : [{ rate: flags.rate, durationS: flags.duration }]
  const plan = new LoadPlan(phases)
  const thresholds = flags.threshold.map((t) => parseThreshold(t, BENCH_METRICS))
  if (flags.wsClients > flags.drones) {
    throw new DronefleetError(
      ErrorCodes.FLAG_INVALID,
      `--ws-clients (${flags.wsClients}) cannot exceed --drones (${flags.drones})`,
      '--ws-clients',
      flags.wsClients,
    )
  }
  const brokers = flags.broker.length ? flags.broker : ['embedded']
  const logger = createLogger('warn')
  const environment = benchEnvironment(new Date())
  process.stderr.write(
    `bench: ${environment.cores} cores, Node ${environment.node}, load average ${environment.loadAverage.join(' ')}, commit ${environment.commit ?? 'unknown'}\n`,
  )
  const load = (broker: string, phases: LoadPhase[], quiet = false): Promise<LoadResult> =>
    runLoad({
      broker: broker === 'embedded' ? undefined : broker,
      phases,
      drones: flags.drones,
      connections: flags.connections,
      format: flags.format,
      batchSize: flags.batch,
      lingerMs: flags.linger,
      qos: flags.qos,
      window: flags.window,
      wsClients: flags.wsClients,
      warmupS: flags.warmup,
      load: flags.load,
      duplicateRate: flags.duplicates,
      reorderRate: flags.reorder,
      decoder: flags.decoder,
      logger,
      ...(flags.deliveries !== undefined ? { deliveriesPerS: flags.deliveries } : {}),
      connect: (url, role) => connectMqtt(url, clientId(role)),
      ...(quiet
        ? {}
        : {
            onSecond: (p) =>
              process.stderr.write(
                `  ${p.second < 0 ? 'warm-up' : `${String(p.second).padStart(4)} s`}  sent ${p.sent.toLocaleString('en').padStart(11)}  engine ${p.engine.toLocaleString('en').padStart(9)}/s  bare ${p.bare.toLocaleString('en').padStart(9)}/s  p99 ${p.p99} ms\n`,
              ),
          }),
    } satisfies LoadOptions)

  const out = resolve(flags.out)
  await mkdir(dirname(out), { recursive: true })
  if (flags.findMax) return findMaxCommand(flags, brokers, thresholds, load, out, environment)

  const runs: Array<{ broker: string; result: LoadResult; thresholds: ThresholdResult[]; warnings: string[] }> = []
  for (const broker of brokers) {
    process.stderr.write(
      `bench: ${plan.total.toLocaleString('en')} ${flags.format} positions over ${plan.durationS} s on ${broker}, ${flags.load} load${flags.warmup > 0 ? ` after a ${flags.warmup} s warm-up ramp, held until every drone has reported (not measured)` : ''}\n`,
    )
    const result = await load(broker, phases)
    const warnings = [threadWarning(result, broker), clientsWarning(result)].filter((w) => w !== null)
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`)
    runs.push({ broker, result, thresholds: checkThresholds(thresholds, figures(result)), warnings })
  }
  await writeFile(out, `${JSON.stringify({ environment, settings: flags, runs }, null, 2)}\n`)
  process.stdout.write(table(runs.map((r) => [r.broker, r.result.engineLink, figures(r.result)])))
  for (const r of runs) {
    process.stdout.write(`  ${r.broker}: ${r.result.delivery}\n`)
    if (r.result.injected.duplicates || r.result.injected.reordered) {
      process.stdout.write(
        `  ${r.broker}: injected ${r.result.injected.duplicates} duplicates and ${r.result.injected.reordered} out of order; the engine received ${r.result.engine.duplicates} duplicates and ${r.result.engine.reordered} reordered, and its seq filter dropped ${r.result.engine.filtered}\n`,
      )
    }
    if (!r.result.baseline.valid) process.stdout.write(`  INVALID ${r.broker}: ${r.result.baseline.reason}: no ratio\n`)
    for (const t of r.thresholds) process.stdout.write(`  ${t.ok ? 'ok  ' : 'FAIL'} ${r.broker}: ${t.text} ${thresholdLine(t)}\n`)
  }
  process.stdout.write(`report: ${out}\n`)
  if (runs.some((r) => !r.result.baseline.valid)) return ExitCodes.BASELINE_INVALID
  return runs.every((r) => r.thresholds.every((t) => t.ok)) ? ExitCodes.OK : ExitCodes.CHECK_FAILED
}

async function findMaxCommand(
  flags: BenchFlags,
  brokers: string[],
  thresholds: ReturnType<typeof parseThreshold>[],
  load: (broker: string, phases: LoadPhase[], quiet?: boolean) => Promise<LoadResult>,
  out: string,
  environment: ReturnType<typeof benchEnvironment>,
): Promise<number> {
  const bound = flags.p99Bound ?? (flags.format === 'json' ? 25 : 100)
  const steps = (
    flags.steps ??
    (flags.format === 'json'
      ? '1000,2500,5000,10000,20000,30000,40000,50000,60000,80000'
      : '50000,100000,250000,500000,750000,1000000,1500000,2000000')
  )
    .split(',')
    .map((s, i) => {
      const n = Number(s.trim())
      if (!Number.isFinite(n) || n <= 0)
        throw new DronefleetError(ErrorCodes.FLAG_INVALID, `--steps: step ${i + 1} "${s}" must be a rate > 0`, '--steps', s)
      return n
    })
  const searches: Array<{ broker: string; search: FindMaxResult; thresholds: ThresholdResult[]; warnings: string[] }> = []
  for (const broker of brokers) {
    process.stderr.write(
      `bench --find-max on ${broker}: ${flags.format}, ${flags.load} load, steps of ${flags.stepDuration} s at ${steps.join(', ')}/s; a path passes a step with no loss and p99 ≤ ${bound} ms\n`,
    )
    const search = await findMax(steps, bound, async (rate) => {
      const r = await load(broker, [{ rate, durationS: flags.stepDuration }], true)
      process.stderr.write(
        `  ${String(rate).padStart(9)}/s  engine: lost ${r.engine.lost}, p99 ${r.engine.latency.p99} ms  bare: lost ${r.bare.lost}, p99 ${r.bare.latency.p99} ms\n`,
      )
      return r
    })
    const first = search.steps[0]?.result
    const warning = first ? threadWarning(first, broker) : null
    if (warning) process.stderr.write(`warning: ${warning}\n`)
    const f: Record<string, number> = {}
    if (search.engine.capacity !== null) f.capacity = search.engine.capacity
    if (search.bare.capacity !== null) f.bareCapacity = search.bare.capacity
    if (search.ratio !== null) f.ratio = search.ratio
    searches.push({ broker, search, thresholds: checkThresholds(thresholds, f), warnings: warning ? [warning] : [] })
  }
  await writeFile(out, `${JSON.stringify({ environment, settings: { ...flags, p99Bound: bound }, searches }, null, 2)}\n`)
  const show = (c: { capacity: number | null; limitReached: boolean }): string =>
    c.capacity === null ? 'none (failed the first step)' : `${c.limitReached ? '' : '≥ '}${c.capacity.toLocaleString('en')} positions/s`
  for (const s of searches) {
    process.stdout.write(`\n  ${s.broker} (${s.search.steps[0]?.result.engineLink ?? '?'} engine), p99 bound ${bound} ms, no loss:\n`)
    process.stdout.write(`    engine capacity  ${show(s.search.engine)}\n    bare capacity    ${show(s.search.bare)}\n`)
    process.stdout.write(
      `    ratio            ${s.search.ratio === null ? `none: ${s.search.ratioNote}` : `${s.search.ratio}${s.search.ratioNote ? ` (${s.search.ratioNote})` : ''}`}\n`,
    )
    for (const t of s.thresholds) process.stdout.write(`  ${t.ok ? 'ok  ' : 'FAIL'} ${s.broker}: ${t.text} ${thresholdLine(t)}\n`)
  }
  process.stdout.write(`report: ${out}\n`)
  return searches.every((s) => s.thresholds.every((t) => t.ok)) ? ExitCodes.OK : ExitCodes.CHECK_FAILED
}

/** `(got 3.2) ms, limit 25 ms`: the figure first (scripts match it), then the unit of both. */
function thresholdLine(t: ThresholdResult): string {
  return `(got ${t.actual ?? 'nothing'}) ${unitOf(t.metric)}, limit ${t.limit} ${unitOf(t.metric)}`
}

function table(cols: Array<[broker: string, link: string, figures: Record<string, number>]>): string {
  const rows = BENCH_METRICS.filter((m) => cols.some(([, , f]) => f[m] !== undefined))
  const lines = [
    `\n  ${'figure'.padEnd(12)}${cols.map(([b]) => b.padStart(30)).join('')}`,
    `  ${'engine link'.padEnd(12)}${cols.map(([, l]) => l.padStart(30)).join('')}`,
  ]
  for (const m of rows)
    lines.push(
      `  ${m.padEnd(12)}${cols.map(([, , f]) => `${f[m] === undefined ? '-' : f[m]!.toLocaleString('en')} ${unitOf(m)}`.padStart(30)).join('')}`,
    )
  return `${lines.join('\n')}\n\n`
}
