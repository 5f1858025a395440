/**
 * One engine against two in the same run, on one Mosquitto: `dronefleet
 * bench` alone at `--rate`, then two `dronefleet bench` processes side by
 * side at `--rate` each (each with its own engine on its own topic tree, as
 * two regions' engines are), `--runs` rounds; with `--pin`, a third phase
 * where each engine's thread is pinned to a core of its own (`taskset`).
 *
 * A ratio of throughputs only means something when one engine cannot take
 * what it is offered (otherwise two engines at the same rate give ×2 by
 * construction): the bench says when the one engine kept up. And on a
 * 2-core machine two engines share the cores with their load generators and
 * the broker, so the bench also measures CPU time per sample: each thread's
 * CPU from /proc/PID/task/TID/stat, the engine's thread told from the load
 * generator's workers by a preload that tags them (threadTags.ts). 1 s
 * divided by the engine's CPU seconds per sample is what one engine would
 * take with a core of its own; the bench prints it with and without the
 * process's helper threads (V8's GC and compiler, libuv), between which the
 * truth lies, and where the CPU went (engines, load generators, broker, the
 * rest of the machine).
 *
 * Mosquitto: one of the bench's own on a free port (its CPU measured too),
 * or `--broker URL` (and `--broker-pid PID` to measure that one's CPU).
 *
 *   node dist/bench/two-engines.js [--format json|binary] [--rate 40000] [--duration 10] [--warmup 2] [--runs 3] [--pin]
 *                                  [--broker mqtt://127.0.0.1:1883 [--broker-pid PID]]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { machineCpu, processCpu, ThreadCpuWatch } from './procCpu.js'
import { fmt, median } from './storeBackends.js'

const args = process.argv.slice(2)
const flag = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? def : (args[i + 1] as string)
}
const format = flag('format', 'json')
const rate = Number(flag('rate', format === 'json' ? '40000' : '240000'))
const duration = flag('duration', '10')
const warmup = flag('warmup', '2')
const runs = Number(flag('runs', '3'))
const pin = args.includes('--pin')
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url))
const TAGS = fileURLToPath(new URL('./threadTags.js', import.meta.url))
const cores = cpus().length

if (pin && spawnSync('taskset', ['-V']).error) throw new Error('--pin needs taskset (util-linux)')
if (pin && cores < 2) throw new Error(`--pin needs 2 cores; this machine has ${cores}`)

/** The bench's own Mosquitto on a free port, or the one given. */
async function broker(): Promise<{ url: string; pid: number | undefined; stop: () => Promise<void> }> {
  const given = args.indexOf('--broker')
  if (given >= 0) {
    const pid = flag('broker-pid', '')
    return { url: args[given + 1] as string, pid: pid ? Number(pid) : undefined, stop: async () => undefined }
  }
  const port = await new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const dir = mkdtempSync(join(tmpdir(), 'df-two-engines-mosquitto-'))
  chmodSync(dir, 0o777) // started as root, mosquitto drops to its own user
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type error\n`)
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (up) break
    if (child.exitCode !== null) throw new Error(`mosquitto exited ${child.exitCode}; is it installed?`)
    await new Promise((r) => setTimeout(r, 20)) // pacing the connection attempts while it starts
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** CPU seconds of one engine process over its run, split by what the threads do. */
interface Cpu {
  /** The main thread: the engine's event loop (MQTT client, decoding, engine), and an idle gateway. */
  engine: number
  /** Worker threads of the process that are not the load generator's (e.g. an engine's decoding worker). */
  engineWorkers: number
  /** The load generator's worker threads: publisher, bare-pipe subscriber. */
  load: number
  /** Threads never tagged: V8 (GC, compilation) and libuv helpers, working for every thread of the process. */
  helpers: number
}

interface Figure {
  throughput: number
  p99: number
  sent: number
  received: number
  lost: number
  cpu: Cpu
}

/**
 * One `dronefleet bench` process; `core` pins its engine's thread there once its workers are up.
 * `started` is called when its load is about to begin: CPU time counts from then.
 */
async function bench(url: string, out: string, started: () => void, core?: number): Promise<Figure> {
  const tags = `${out}.threads`
  writeFileSync(tags, '')
  const a = [
    '--import',
    TAGS,
    CLI,
    'bench',
    '--broker',
    url,
    '--format',
    format,
    '--load',
    'ingest',
    '--rate',
    String(rate),
    '--duration',
    duration,
    '--warmup',
    warmup,
    '--out',
    out,
  ]
  const child: ChildProcess = spawn(process.execPath, a, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DRONEFLEET_THREAD_TAGS: tags },
  })
  const pid = child.pid as number
  const watch = new ThreadCpuWatch(pid)
  let atStart: Map<number, number> | undefined
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
    // The first progress line comes once the engine and the load's workers are up, just before the load begins:
    // CPU time from here on is the run's, not the process's start-up (module loading, connections).
    if (!atStart && /\bsent\s+[\d,]+/.test(stderr)) {
      atStart = watch.poll()
      started()
      // Only the main thread (TID = PID): the workers already run and keep their affinity.
      if (core !== undefined) spawnSync('taskset', ['-p', '-c', String(core), String(pid)], { stdio: 'ignore' })
    }
  })
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  const atEnd = watch.stop()
  if (!atStart) throw new Error(`dronefleet bench exited ${code} before its load began: ${stderr}`)
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    runs: Array<{ result: { sent: number; engine: { throughput: number; received: number; latency: { p99: number } } } }>
  }
  const roles = new Map(
    readFileSync(tags, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [Number(l.slice(0, l.indexOf(' '))), l.slice(l.indexOf(' ') + 1)] as const),
  )
  rmSync(out, { force: true })
  rmSync(tags, { force: true })
  const cpu: Cpu = { engine: 0, engineWorkers: 0, load: 0, helpers: 0 }
  for (const [tid, s] of atEnd) {
    const used = s - (atStart.get(tid) ?? 0)
    const role = roles.get(tid)
    if (tid === pid) cpu.engine += used
    else if (role === undefined) cpu.helpers += used
    else if (role.includes('/loadgen/')) cpu.load += used
    else cpu.engineWorkers += used
  }
  const r = report.runs[0]!.result
  return {
    throughput: r.engine.throughput,
    p99: r.engine.latency.p99,
    sent: r.sent,
    received: r.engine.received,
    lost: r.sent - r.engine.received,
    cpu,
  }
}

/** µs of CPU per sample the engine processed: its own threads, and with the process's helpers. */
function perSample(f: Figure): { own: number; withHelpers: number } {
  const own = f.cpu.engine + f.cpu.engineWorkers
  return { own: (own / f.received) * 1e6, withHelpers: ((own + f.cpu.helpers) / f.received) * 1e6 }
}
/** Samples per second one engine takes on a core of its own: 1 s of CPU over its CPU per sample. */
const onACore = (usPerSample: number): number => 1e6 / usPerSample

/** Runs `engines` side by side; the broker's and the machine's CPU over the same time. */
async function phase(
  url: string,
  brokerPid: number | undefined,
  name: string,
  pinned: boolean,
): Promise<{ figures: Figure[]; brokerCores: number | undefined; machineCores: number; wallS: number }> {
  const n = name === 'one' ? 1 : 2
  // From the first engine's load to the end of the last process: start-up (module loading, connections) left out.
  let m0 = machineCpu()
  let b0 = brokerPid === undefined ? undefined : processCpu(brokerPid)
  let began = 0
  const started = (): void => {
    if (began) return
    began = performance.now()
    m0 = machineCpu()
    b0 = brokerPid === undefined ? undefined : processCpu(brokerPid)
  }
  const figures = await Promise.all(
    Array.from({ length: n }, (_, k) =>
      bench(url, join(tmpdir(), `df-two-engines-${process.pid}-${name}-${k}.json`), started, pinned ? k % cores : undefined),
    ),
  )
  const wallS = (performance.now() - began) / 1000
  const m1 = machineCpu()
  const b1 = brokerPid === undefined ? undefined : processCpu(brokerPid)
  return {
    figures,
    brokerCores: b0 === undefined || b1 === undefined ? undefined : (b1 - b0) / wallS,
    machineCores: (m1.busy - m0.busy) / wallS,
    wallS,
  }
}

const us = (x: number): string => `${x.toFixed(1)} µs`
const show = (f: Figure): string =>
  `${fmt(f.throughput)}/s (p99 ${fmt(f.p99)} ms${f.lost > 0 ? `, ${fmt(f.lost)} of ${fmt(f.sent)} not processed` : ''})`
const cpuLine = (f: Figure): string => {
  const c = perSample(f)
  return `${us(c.own)}/sample (${us(c.withHelpers)} with helpers) → ${fmt(onACore(c.withHelpers))}..${fmt(onACore(c.own))}/s on a core of its own`
}
const spread = (xs: number[], unit = '', digits = 0): string => {
  const f = (x: number): string => (digits ? x.toFixed(digits) : fmt(x))
  return `${f(median(xs))}${unit} (${f(Math.min(...xs))}..${f(Math.max(...xs))}, ${xs.length} runs)`
}
/** Mosquitto's CPU per sample published in a phase (each goes out twice: to the engine and to the bench's bare pipe). */
function brokerUs(p: Awaited<ReturnType<typeof phase>>): number | undefined {
  if (p.brokerCores === undefined) return undefined
  return ((p.brokerCores * p.wallS) / p.figures.reduce((s, f) => s + f.sent, 0)) * 1e6
}

/** Where the CPU went in a phase, in cores (CPU seconds per wall second). */
function where(p: Awaited<ReturnType<typeof phase>>): string {
  const sum = (k: keyof Cpu): number => p.figures.reduce((s, f) => s + f.cpu[k], 0) / p.wallS
  const engines = sum('engine') + sum('engineWorkers')
  const ours = engines + sum('load') + sum('helpers') + (p.brokerCores ?? 0)
  const parts = [
    `engines ${engines.toFixed(2)}`,
    `load generators ${sum('load').toFixed(2)}`,
    `helpers ${sum('helpers').toFixed(2)}`,
    p.brokerCores === undefined
      ? 'broker not measured'
      : `mosquitto ${p.brokerCores.toFixed(2)} (${us(brokerUs(p) as number)}/sample: one in, two out → at most ${fmt(onACore(brokerUs(p) as number))}/s on its one thread)`,
    `rest of the machine ${Math.max(0, p.machineCores - ours).toFixed(2)}`,
  ]
  return `cores busy ${p.machineCores.toFixed(2)} of ${cores}: ${parts.join(', ')}`
}

const b = await broker()
const results: Record<'ratio' | 'oneCap' | 'twoCap' | 'capRatio' | 'oneUs' | 'twoUs' | 'pinnedRatio' | 'brokerTwo' | 'brokerUs', number[]> =
  {
    ratio: [],
    oneCap: [],
    twoCap: [],
    capRatio: [],
    oneUs: [],
    twoUs: [],
    pinnedRatio: [],
    brokerTwo: [],
    brokerUs: [],
  }
let keptUp = 0
try {
  console.log(
    `${format} at ${fmt(rate)}/s offered to each engine for ${duration} s (after a ${warmup} s ramp), on ${b.url}${b.pid ? ' (the bench’s own Mosquitto)' : ''}; ${cores} cores`,
  )
  for (let run = 1; run <= runs; run++) {
    const one = await phase(b.url, b.pid, 'one', false)
    const o = one.figures[0] as Figure
    if (o.throughput >= 0.95 * rate) keptUp++
    console.log(`run ${run} one engine:  ${show(o)}; ${cpuLine(o)}`)
    console.log(`             ${where(one)}`)
    const two = await phase(b.url, b.pid, 'two', false)
    const [x, y] = two.figures as [Figure, Figure]
    const ratio = (x.throughput + y.throughput) / o.throughput
    console.log(`run ${run} two engines: ${show(x)} + ${show(y)} = ${fmt(x.throughput + y.throughput)}/s, ×${ratio.toFixed(2)}`)
    console.log(`             a ${cpuLine(x)}`)
    console.log(`             b ${cpuLine(y)}`)
    console.log(`             ${where(two)}`)
    // With a core each: each engine's own capacity at what a sample cost it in this run (helpers included: the cautious end).
    const oneCap = onACore(perSample(o).withHelpers)
    const twoCap = onACore(perSample(x).withHelpers) + onACore(perSample(y).withHelpers)
    results.ratio.push(ratio)
    results.oneCap.push(oneCap)
    results.twoCap.push(twoCap)
    results.capRatio.push(twoCap / oneCap)
    results.oneUs.push(perSample(o).withHelpers)
    results.twoUs.push((perSample(x).withHelpers + perSample(y).withHelpers) / 2)
    if (two.brokerCores !== undefined) results.brokerTwo.push(two.brokerCores)
    const bu = brokerUs(one)
    if (bu !== undefined) results.brokerUs.push(bu)
    if (pin) {
      const pinned = await phase(b.url, b.pid, 'pinned', true)
      const [p, q] = pinned.figures as [Figure, Figure]
      const pr = (p.throughput + q.throughput) / o.throughput
      results.pinnedRatio.push(pr)
      console.log(
        `run ${run} two engines, each engine thread pinned to its own core: ${show(p)} + ${show(q)} = ${fmt(p.throughput + q.throughput)}/s, ×${pr.toFixed(2)}`,
      )
      console.log(`             ${where(pinned)}`)
    }
  }
} finally {
  await b.stop()
}
console.log('')
console.log(`two engines / one engine, throughput on this machine: ×${spread(results.ratio, '', 2)}`)
if (keptUp > 0)
  console.log(
    `  NOTE: in ${keptUp} of ${runs} runs the one engine took ≥95% of what it was offered: that ratio is capped by the offer, raise --rate`,
  )
if (pin) console.log(`  each engine thread pinned to its own core: ×${spread(results.pinnedRatio, '', 2)}`)
console.log(
  `CPU per sample, helpers included: one engine ${spread(results.oneUs, ' µs', 1)}; two engines ${spread(results.twoUs, ' µs', 1)}`,
)
console.log(
  `with a core per engine (1 s / CPU per sample): one engine ${spread(results.oneCap, '/s')}; two engines ${spread(results.twoCap, '/s')}, ×${spread(results.capRatio, '', 2)}`,
)
if (results.brokerTwo.length) {
  console.log(`mosquitto (one thread) during the two-engine phase: ${spread(results.brokerTwo, ' cores', 2)} busy`)
  const perS = results.brokerUs.map(onACore)
  console.log(
    `mosquitto CPU per sample (one in, two out), one-engine phase: ${spread(results.brokerUs, ' µs', 1)} → at most ${spread(perS, '/s')} on its one thread, for any number of engines`,
  )
}
