/**
 * The simulator at scale, with the engine in the loop: the engine, gateway
 * and embedded broker run as `dronefleet serve` in a child process, the
 * simulator in this one, so the CPU figures separate the two.
 *
 *   node dist/bench/sim-throughput.js realtime [seconds=60] [workers=2]
 *     10,000 drones at 1 Hz at --speed 1: does the simulator keep real time,
 *     and how much CPU (this process, all its threads) does it use?
 *   node dist/bench/sim-throughput.js max [minutes=5] [workers=2]
 *     10,000 drones at --speed max: real-time factor, samples/s, and where
 *     the wall time went (physics, encoding frames, publishing, waiting for
 *     the engine). `max 60` is the full simulated hour.
 *
 * Progress goes to stderr every 30 s of wall time (simulated minutes done,
 * real-time factor so far); the figures to stdout at the end.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { simulate } from '../service/simulate.js'
import { topics } from '../protocol/topics.js'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import type { RunResults } from '../sim/report/runResults.js'
import type { SimProgress } from '../sim/Simulator.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const mode = process.argv[2] === 'max' ? 'max' : 'realtime'
const amount = Number(process.argv[3] ?? (mode === 'max' ? 5 : 60))
const workers = Number(process.argv[4] ?? 2)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number }
        s.close(() => resolve(port))
      })
      .on('error', reject)
  })
}

/** CPU seconds a process has used (Linux /proc; fields 14 and 15 in clock ticks). */
function procCpuS(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const file = join(root, 'scenarios/throughput-10k.yaml')
const loaded = await loadScenario(file)
const durationS = mode === 'max' ? amount * 60 : amount
const scenario = { ...loaded, durationS, expect: [] }
const [mqttPort, httpPort, wsPort] = [await freePort(), await freePort(), await freePort()]
const apiKey = 'bench-key'
const serve = spawn(
  process.execPath,
  [
    join(root, 'dist/cli/main.js'),
    'serve',
    '--mqtt-port',
    String(mqttPort),
    '--http-port',
    String(httpPort),
    '--ws-port',
    String(wsPort),
    '--api-key',
    apiKey,
    '--scenario',
    file,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DRONEFLEET_LOG: 'warn' } },
)
let banner = ''
const ready = new Promise<string>((resolve, reject) => {
  serve.stdout.on('data', (d) => {
    banner += String(d)
    const m = /--broker (\S+) --gateway/.exec(banner)
    if (m) resolve(m[1] as string)
  })
  serve.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${banner}`)))
})
const brokerUrl = await ready
const out = await mkdtemp(join(tmpdir(), 'dronefleet-bench-'))
const drones = scenario.depots.reduce((n, d) => n + d.drones, 0)
process.stderr.write(
  `${drones} drones, ${durationS} simulated s at --speed ${mode === 'max' ? 'max' : 1}, ${workers} workers; engine in pid ${serve.pid}\n`,
)

const cpu0 = process.cpuUsage()
const engineCpu0 = procCpuS(serve.pid as number)
const wall0 = performance.now()
let reported = wall0
const progress = (p: SimProgress): void => {
  const now = performance.now()
  if (now - reported < 30_000 && p.tick !== p.ticks) return
  reported = now
  const simS = (p.t - scenario.start) / 1000
  process.stderr.write(
    `  ${(simS / 60).toFixed(1)} of ${durationS / 60} simulated min after ${((now - wall0) / 1000).toFixed(0)} s (${(simS / ((now - wall0) / 1000)).toFixed(1)}× real time so far)\n`,
  )
}
try {
  await simulate({
    scenario,
    brokerUrl,
    gatewayUrl: `http://127.0.0.1:${httpPort}`,
    apiKey,
    topics: topics(),
    workers,
    speed: mode === 'max' ? 'max' : 1,
    out,
    onTick: progress,
  })
} finally {
  serve.kill('SIGTERM')
}
const wallS = (performance.now() - wall0) / 1000
const cpu = process.cpuUsage(cpu0)
const simCpuS = (cpu.user + cpu.system) / 1e6
const engineCpuS = procCpuS(serve.pid as number) - engineCpu0
const r = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults
const w = r.wallClock
const t = w.time
const line = (k: string, v: string | number): string => `  ${k.padEnd(34)} ${v}`
process.stdout.write(
  [
    `sim-throughput ${mode}: ${drones} drones, ${durationS} simulated s, ${workers} workers`,
    line('wall time, s', wallS.toFixed(1)),
    line('real-time factor', w.realTimeFactor),
    line('samples/s published', w.samplesPerS),
    line('simulator CPU, cores (this process)', (simCpuS / wallS).toFixed(2)),
    line('engine+gateway+broker CPU, cores', (engineCpuS / wallS).toFixed(2)),
    line('requests submitted', r.summary.requested),
    line('deliveries completed', r.summary.completed),
    line('physics step, worker ms per tick', (t.stepMs / Math.max(1, w.samples / drones)).toFixed(1)),
    line('encode frames, worker ms per tick', (t.encodeMs / Math.max(1, w.samples / drones)).toFixed(1)),
    line('publish, main-thread ms per tick', (t.publishMs / (durationS / r.scenario.tickS)).toFixed(1)),
    line('wait for engine, ms per tick', (t.engineWaitMs / (durationS / r.scenario.tickS)).toFixed(1)),
    line('submit demand, ms per tick', (t.submitMs / (durationS / r.scenario.tickS)).toFixed(1)),
    '',
  ].join('\n'),
)
