/**
 * How good the engine's ETAs are where the world differs from what it is
 * told: runs scenarios (each seed, each forecast-error factor) through the
 * whole service, as `dronefleet run` does, and prints, per run and on
 * average, the mean and P90 absolute ETA error 1, 5 and 10 min before
 * arrival for the engine and the two naive baselines, the engine's window
 * coverage with its Wilson interval, and what drones refused.
 *
 *   node dist/bench/eta-accuracy.js [--scenarios a.yaml,b.yaml] [--seeds 1,2,3] [--error-factors 1,2] [--workers 1] [--out FILE]
 *
 * Defaults: scenarios/gusty-city.yaml and scenarios/strong-wind.yaml, each
 * at its own seed, forecast error as written and doubled. An accuracy claim
 * is this command's output, not a test.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { simulate } from '../service/simulate.js'
import { startService } from '../service/startService.js'
import type { RunResults } from '../sim/report/runResults.js'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import type { Scenario } from '../sim/scenario/Scenario.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const files = (flag('scenarios') ?? 'scenarios/gusty-city.yaml,scenarios/strong-wind.yaml').split(',')
const seeds = flag('seeds')?.split(',').map(Number)
const factors = (flag('error-factors') ?? '1,2').split(',').map(Number)
const workers = Number(flag('workers') ?? 1)

interface Row {
  scenario: string
  seed: number
  forecastError: number
  completed: number
  failed: number
  refusals: number
  mae: Record<'engine' | 'straightLine' | 'stillAirRoute', Array<number | null>>
  p90: Array<number | null>
  coverage: number | null
  coverageLow: number | null
  coverageHigh: number | null
  gainAt5: number | null
}

async function runOne(s: Scenario): Promise<RunResults> {
  const logger = pino({ level: 'warn' }, pino.destination(2))
  const apiKey = randomBytes(16).toString('hex')
  const service = await startService({
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey,
    ...scenarioEngineOptions(s),
    logger,
  })
  try {
    const out = await mkdtemp(join(tmpdir(), 'dronefleet-eta-'))
    const { results } = await simulate({
      scenario: s,
      brokerUrl: service.brokerUrlFor('sim'),
      gatewayUrl: service.gateway.httpUrl,
      apiKey,
      topics: service.topics,
      workers,
      out,
    })
    return results
  } finally {
    await service.close()
  }
}

const rows: Row[] = []
for (const file of files) {
  const loaded = await loadScenario(join(root, file))
  for (const seed of seeds ?? [loaded.seed]) {
    for (const k of factors) {
      const world = { ...loaded.world, wind: { ...loaded.world.wind, forecastError: loaded.world.wind.forecastError * k } }
      const s: Scenario = { ...loaded, seed, world }
      process.stderr.write(`${s.name} seed ${seed}, forecast error ${Math.round(world.wind.forecastError * 100)} %…\n`)
      const r = await runOne(s)
      const h = r.etaAccuracy.horizons
      rows.push({
        scenario: s.name,
        seed,
        forecastError: world.wind.forecastError,
        completed: r.summary.completed,
        failed: r.summary.failed,
        refusals: r.summary.refusals,
        mae: {
          engine: h.map((x) => x.engine.maeS),
          straightLine: h.map((x) => x.straightLine.maeS),
          stillAirRoute: h.map((x) => x.stillAirRoute.maeS),
        },
        p90: h.map((x) => x.engine.p90S),
        coverage: r.etaAccuracy.coverage.rate,
        coverageLow: r.etaAccuracy.coverage.low,
        coverageHigh: r.etaAccuracy.coverage.high,
        gainAt5: r.summary.etaGainAt5Min,
      })
    }
  }
}

const f = (v: number | null, d = 1): string => (v === null ? '–' : v.toFixed(d))
const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(1)}%`)
const header =
  'scenario      seed   fc.err  engine MAE 1/5/10 s   P90 1/5/10 s          straight MAE 1/5/10     still-air MAE 1/5/10    gain@5  coverage (95% CI)        done  failed  refusals'
console.log(header)
for (const r of rows) {
  console.log(
    [
      r.scenario.padEnd(13),
      String(r.seed).padEnd(6),
      `${Math.round(r.forecastError * 100)}%`.padEnd(7),
      r.mae.engine
        .map((v) => f(v))
        .join(' / ')
        .padEnd(21),
      r.p90
        .map((v) => f(v))
        .join(' / ')
        .padEnd(21),
      r.mae.straightLine
        .map((v) => f(v))
        .join(' / ')
        .padEnd(23),
      r.mae.stillAirRoute
        .map((v) => f(v))
        .join(' / ')
        .padEnd(23),
      f(r.gainAt5, 2).padEnd(7),
      `${pct(r.coverage)} (${pct(r.coverageLow)}–${pct(r.coverageHigh)})`.padEnd(24),
      String(r.completed).padEnd(5),
      String(r.failed).padEnd(7),
      String(r.refusals),
    ].join(' '),
  )
}
const out = flag('out')
if (out) {
  await writeFile(out, `${JSON.stringify({ args: process.argv.slice(2), rows }, null, 2)}\n`)
  console.log(`\nwritten to ${out}`)
}
