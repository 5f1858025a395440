import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { connectMqtt, clientId } from '../broker/connectMqtt.js'
import { findMax } from '../cli/findMax.js'
import { Engine } from '../engine/Engine.js'
import { BatchScratch } from '../engine/mqtt/BatchScratch.js'
import { handleTelemetry } from '../engine/mqtt/handleTelemetry.js'
import type { HandlerContext } from '../engine/mqtt/HandlerContext.js'
import { IdleClock } from '../engine/mqtt/IdleClock.js'
import { LoadWorld } from '../loadgen/LoadWorld.js'
import { runLoad, type LoadResult } from '../loadgen/runLoad.js'
import { polygonProblems } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import type { TelemetrySample } from '../protocol/telemetry.js'
import { topics } from '../protocol/topics.js'
import { runCli } from './helpers/cli.js'

const T = topics('bench-fair-test')
const TS = 1_763_700_000_000

t.test('the adapter hears every sample before the seq filter, and observes after the engine applied it', async (t) => {
  let wall = TS
  const now = (): number => (wall += 1) // every reading of the clock is later
  const received: number[] = []
  const observed: number[] = []
  const engine = new Engine({
    profile: DEFAULT_PROFILE,
    depots: [],
    sink: { command: () => undefined, event: () => undefined, tracking: () => undefined },
  })
  const ctx: HandlerContext = {
    engine,
    topics: T,
    now,
    publish: () => undefined,
    idleClock: new IdleClock(now, 5000),
    scratch: new BatchScratch(),
    logger: undefined,
    observe: (_s, at) => observed.push(at),
    receive: (s) => received.push(s.seq),
  }
  const json = (seq: number): Buffer =>
    Buffer.from(
      JSON.stringify({
        droneId: 'd-1',
        seq,
        ts: TS,
        lat: 47.6,
        lon: -122.3,
        alt: 0,
        speed: 0,
        heading: 0,
        battery: 1,
        state: 'idle',
      } satisfies TelemetrySample),
    )
  for (const seq of [1, 3, 2, 3]) handleTelemetry(ctx, T.telemetry('d-1'), json(seq))
  t.same(received, [1, 3, 2, 3], 'the late and the repeated sample are heard too')
  t.equal(observed.length, 2, 'only what the engine took is observed')
  t.equal(observed[0], TS + 2, 'observed at a clock reading taken after the one that stamped its arrival')
})

t.test("find-max: each path's capacity is the last step before its first failure; the ratio is their quotient", async (t) => {
  const fake = (lostE: number, p99E: number, lostB: number, p99B: number): LoadResult =>
    ({
      engine: { lost: lostE, latency: { count: 10, p99: p99E } },
      bare: { lost: lostB, latency: { count: 10, p99: p99B } },
    }) as unknown as LoadResult
  const byRate: Record<number, LoadResult> = {
    1: fake(0, 5, 0, 1),
    2: fake(0, 30, 0, 2),
    3: fake(0, 5, 0, 3),
    4: fake(0, 5, 7, 3),
    5: fake(0, 5, 0, 3),
  }
  const asked: number[] = []
  const r = await findMax([3, 1, 2, 4, 5], 25, async (rate) => {
    asked.push(rate)
    return byRate[rate]!
  })
  t.same(asked, [1, 2, 3, 4], 'in increasing order, stopping once both failed')
  t.same(
    r.engine,
    { capacity: 1, limitReached: true, failedAt: { rate: 2, why: 'p99 30 ms > 25 ms' } },
    'a later pass does not undo a failure',
  )
  t.same(r.bare, { capacity: 3, limitReached: true, failedAt: { rate: 4, why: 'lost 7' } })
  t.equal(r.ratio, 0.333)
  const open = await findMax([1], 25, async () => fake(0, 1, 0, 1))
  t.equal(open.ratio, null, 'no ratio when neither path reached its limit')
  t.match(open.ratioNote, /higher --steps/)
})

t.test('the realistic world: depots, idle drones, valid zones; ingest has none', async (t) => {
  const w = new LoadWorld('realistic', 1200, 500)
  t.equal(w.depots.length, 3)
  t.equal(w.idle, 500, 'enough idle drones for every tracked delivery')
  t.ok(w.isIdle(0) && !w.isIdle(500))
  for (const z of w.zones) t.same(polygonProblems(z.polygon), [], `zone ${z.id} is a valid polygon`)
  const ingest = new LoadWorld('ingest', 1200)
  t.same([ingest.depots.length, ingest.zones.length, ingest.idle], [0, 0, 0])
})

t.test('a realistic run: faults counted on arrival at both ends, tracking clients get live deliveries, plain settings', async (t) => {
  const r = await runLoad({
    phases: [{ rate: 400, durationS: 2 }],
    warmupS: 1,
    drones: 40,
    connections: 2,
    format: 'json',
    batchSize: 100,
    lingerMs: 5,
    qos: 0,
    window: 100,
    wsClients: 4,
    deliveriesPerS: 2,
    duplicateRate: 0.05,
    reorderRate: 0.05,
    logger: pino({ level: 'silent' }),
    connect: (url, role) => connectMqtt(url, clientId(role)),
  })
  t.equal(r.config.load, 'realistic', 'realistic by default')
  t.ok(r.injected.duplicates > 0 && r.injected.reordered > 0, `faults were injected (${JSON.stringify(r.injected)})`)
  t.equal(r.engine.duplicates, r.injected.duplicates, 'the engine side counts every duplicate it was sent')
  t.equal(r.engine.reordered, r.injected.reordered, 'and every late one')
  t.equal(r.engine.filtered, r.injected.duplicates + r.injected.reordered, 'which its seq filter then dropped')
  t.same([r.bare.duplicates, r.bare.reordered], [r.injected.duplicates, r.injected.reordered], 'the bare pipe counts them too')
  t.equal(r.engine.lost, 0, 'a late sample is not lost')
  t.same(r.baseline, { valid: true, reason: null })
  t.ok(r.bare.latency.count > 0, 'the baseline has its own latency')
  t.ok(r.ws && r.ws.connected === 4, 'every tracking client connected')
  t.ok(r.ws && r.ws.connectedAtMeasure <= r.ws.connected, `${r.ws?.connectedAtMeasure} of them by the time the measurement began`)
  t.ok(r.ws && r.ws.latency.count > 0, `tracking messages reached the clients (${JSON.stringify(r.ws?.latency)})`)
  t.notOk('logger' in r.config, 'no internal object in the settings')
  t.ok(r.cores >= 1 && r.threads >= 3)
})

t.test('bench --find-max: capacities of both paths in one run, written to the report', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dronefleet-findmax-'))
  const out = join(dir, 'find.json')
  const r = await runCli([
    'bench',
    '--find-max',
    '--steps',
    '200,400',
    '--step-duration',
    '1',
    '--warmup',
    '0',
    '--drones',
    '20',
    '--load',
    'ingest',
    '--p99-bound',
    '5000',
    '--out',
    out,
  ])
  t.equal(r.code, 0, r.stderr.slice(-400))
  t.match(r.stdout, /engine capacity +≥ 400 positions\/s/)
  t.match(r.stdout, /bare capacity +≥ 400 positions\/s/)
  t.match(r.stdout, /ratio +none: neither path reached its limit/)
  const report = JSON.parse(await readFile(out, 'utf8')) as {
    environment: { cores: number; node: string }
    searches: Array<{ search: { steps: unknown[] } }>
  }
  t.equal(report.environment.node, process.version)
  t.equal(report.searches[0]!.search.steps.length, 2)
})

t.test('the capacity table: medians and ranges over the runs that sustained a step, the others counted apart', async (t) => {
  const { capacityTable } = await import('../bench/capacityTable.js')
  const env = { host: 'h', os: 'Linux', cpu: 'cpu', cores: 2, memoryGiB: 4, node: 'v20', commit: 'abc', loadAverage: [1.5, 1, 1], at: '' }
  // The engine's CPU per position is read at each run's highest step.
  const step = (rate: number, loop: number, decoder: number) => ({
    rate,
    engineOk: true,
    bareOk: true,
    // Only the figures the table reads.
    result: {
      engineLoop: {
        utilization: 0.5,
        busyUsPerPosition: loop * 2,
        cpuUsPerPosition: loop,
        decoder: { utilization: 0.5, busyUsPerPosition: decoder * 2, cpuUsPerPosition: decoder },
      },
    } as LoadResult,
  })
  const search = (e: number | null, b: number | null, loop: number, decoder: number) => ({
    broker: 'embedded',
    search: {
      bound: 25,
      engine: { capacity: e, limitReached: true, failedAt: null },
      bare: { capacity: b, limitReached: true, failedAt: null },
      ratio: e !== null && b ? e / b : null,
      ratioNote: null,
      steps: [step(1000, 99, 99), step(2000, loop, decoder)],
    },
  })
  const reports = [search(1000, 2000, 5, 12), search(3000, 2000, 4, 10), search(null, 1000, 6, 11)].map((s) => ({
    environment: env,
    settings: { format: 'json', load: 'ingest', p99Bound: 25 },
    searches: [s],
  }))
  const md = capacityTable([{ name: 'json-ingest', reports }])
  t.match(
    md,
    /\| json-ingest \| embedded \| 25 ms \| 2,000\/s \(1,000–3,000 over 2 runs; 1 of 3 runs sustained no step\) \| 2,000\/s \(1,000–2,000 over 3 runs\) \| 1 \(0\.5–1\.5, 2 of 3 runs\) \| 5\.0 µs \(4\.0–6\.0\) \+ decoder thread 11\.0 µs \(10\.0–12\.0\) \|/,
  )
  t.match(md, /2 cores.*commit abc.*1\.5–1\.5/)
})

t.test('a baseline that lost positions voids the run, saying how many and why', async (t) => {
  const { judgeBaseline } = await import('../loadgen/judgeBaseline.js')
  t.same(judgeBaseline(1000, 1000, 0), { valid: true, reason: null })
  t.same(judgeBaseline(1000, 990, 10), {
    valid: false,
    reason: "the baseline lost 10 of 1000 positions (10 dropped by the broker's slow-subscriber rule)",
  })
  t.same(judgeBaseline(1000, 990, null), { valid: false, reason: 'the baseline lost 10 of 1000 positions' })
})
