import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import type { RunResults } from '../sim/report/runResults.js'
import { runCli } from './helpers/cli.js'

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url))
const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'dronefleet-scenarios-'))

/** results.json up to its wall-clock section, which is last and the only part allowed to differ. */
function deterministicPart(text: string): string {
  const at = text.indexOf('\n  "wallClock": {')
  if (at < 0) throw new Error('results.json has no wallClock section')
  return text.slice(0, at)
}

t.test('every shipped scenario validates, and the ones the issues name are there', async (t) => {
  const files = (await readdir(repo('scenarios'))).filter((f) => f.endsWith('.yaml')).sort()
  t.same(files, [
    'demo.yaml',
    'fault-storm.yaml',
    'gusty-city.yaml',
    'lunch-rush.yaml',
    'quickstart.yaml',
    'strong-wind.yaml',
    'three-cities.yaml',
    'throughput-10k.yaml',
  ])
  for (const f of files) {
    const s = await loadScenario(repo(`scenarios/${f}`))
    t.equal(s.name, f.replace('.yaml', ''), `${f} loads`)
    t.ok(s.expect.length > 0, `${f} has an expect block`)
  }
  const big = await loadScenario(repo('scenarios/throughput-10k.yaml'))
  t.equal(
    big.depots.reduce((n, d) => n + d.drones, 0),
    10_000,
  )
  t.equal(big.durationS, 3600)
  const rush = await loadScenario(repo('scenarios/lunch-rush.yaml'))
  t.ok(
    rush.wind.speedMps > 0 && rush.demand.phases.length >= 2 && rush.demand.hotspots.length > 0,
    'the lunch rush has wind, phases and hotspots',
  )
  const gusty = await loadScenario(repo('scenarios/gusty-city.yaml'))
  t.ok(
    gusty.world.wind.forecastError > 0 &&
      gusty.world.wind.gustsMps > 0 &&
      gusty.world.wind.driftMps > 0 &&
      gusty.world.drones.speedSpread > 0 &&
      gusty.world.drones.batteryAgeing > 0 &&
      gusty.world.handling.absent > 0 &&
      gusty.world.telemetry.delayS > 0,
    'the gusty city differs from the model in every way',
  )
  const strong = await loadScenario(repo('scenarios/strong-wind.yaml'))
  t.match(
    strong,
    { wind: { speedMps: 8 }, world: { wind: { forecastError: 0.3 }, drones: { speedSpread: 0.1 } } },
    'strong wind: 8 m/s, 30 % off, ±10 %',
  )
  const demo = await loadScenario(repo('scenarios/demo.yaml'))
  t.ok(demo.zones.length > 0 && demo.depots.length > 1, "dronefleet demo's small city has depots and a no-fly zone")
  const cities = await loadScenario(repo('scenarios/three-cities.yaml'))
  t.same(
    cities.regions.map((r) => r.id),
    ['seattle', 'kirkland', 'bellevue'],
    'three-cities splits the world into three regions',
  )
  const storm = await loadScenario(repo('scenarios/fault-storm.yaml'))
  t.same(
    new Set(storm.faults.map((f) => f.type)),
    new Set(['droneFailure', 'gpsNoise', 'gpsDropout', 'telemetryLoss', 'telemetryDelay', 'batteryDrain', 'brokerOutage']),
    'the storm has every kind of fault',
  )
})

t.test('lunch-rush runs and meets its expect block; the wind shows in energy and refusals are reported', async (t) => {
  const out = await tmp()
  const r = await runCli(['run', 'scenarios/lunch-rush.yaml', '--out', out])
  t.equal(r.code, 0, `exit 0: ${r.stdout.slice(-600)} ${r.stderr.slice(-300)}`)
  const res = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults
  t.ok(res.expectations.length >= 5 && res.expectations.every((e) => e.ok))
  t.same(res.scenario.wind, { speedMps: 7, fromDeg: 225 })
  const done = res.deliveries.filter((d) => d.status === 'Completed')
  t.ok(
    done.every((d) => d.distanceM > 0 && d.energyWh > 0),
    'every completed delivery has its distance and energy',
  )
  // Requests per 5-minute window: the rush (15-35 min) is busier than before it.
  const per = (fromMin: number, toMin: number) =>
    res.deliveries.filter(
      (d) => d.requestedAt >= res.scenario.start + fromMin * 60_000 && d.requestedAt < res.scenario.start + toMin * 60_000,
    ).length /
    (toMin - fromMin)
  t.ok(per(15, 35) > 3 * per(0, 15), `rush ${per(15, 35).toFixed(1)}/min against ${per(0, 15).toFixed(1)}/min before`)
  for (const x of res.refusals) t.match(x.reason, /Wh above its 20% reserve|cannot be flown/)
  const geo = JSON.parse(await readFile(join(out, 'routes.geojson'), 'utf8')) as {
    type: string
    features: Array<{ geometry: { type: string; coordinates: number[][] } }>
  }
  t.equal(geo.type, 'FeatureCollection')
  t.ok(geo.features.filter((f) => f.geometry.type === 'LineString').length >= done.length, 'a route per mission')
  const html = await readFile(join(out, 'report.html'), 'utf8')
  for (const chart of ['Deliveries over time', 'Delivery time', 'ETA error against time to arrival', 'Fleet utilization', 'Battery levels'])
    t.match(html, chart)
  t.match(html, /<polyline[^>]+stroke-opacity/, 'routes on the map')
  t.notMatch(html, /<script[^>]+src=|<link[^>]+href="http|url\(http/, 'self-contained: its one script is inline')
})

t.test(
  'the same scenario and seed give byte-identical results with 1 and 4 workers, at max speed and at ×300, through a fault storm',
  async (t) => {
    const [a, b] = [await tmp(), await tmp()]
    const one = await runCli(['run', 'scenarios/fault-storm.yaml', '--workers', '1', '--out', a])
    const four = await runCli(['run', 'scenarios/fault-storm.yaml', '--workers', '4', '--speed', '300', '--out', b])
    t.equal(one.code, 0, `1 worker: ${one.stdout.slice(-500)} ${one.stderr.slice(-300)}`)
    t.equal(four.code, 0, `4 workers: ${four.stdout.slice(-500)} ${four.stderr.slice(-300)}`)
    const [ta, tb] = [await readFile(join(a, 'results.json'), 'utf8'), await readFile(join(b, 'results.json'), 'utf8')]
    t.ok(deterministicPart(ta) === deterministicPart(tb), 'identical bytes up to the wall-clock section')
    const [ra, rb] = [JSON.parse(ta) as RunResults, JSON.parse(tb) as RunResults]
    t.same(Object.keys(ra).at(-1), 'wallClock', 'the wall-clock section is last')
    t.same([ra.wallClock.workers, rb.wallClock.workers], [1, 4])
    t.equal(ra.wallClock.deliveryIds.length, ra.summary.requested)
    t.not(
      ra.wallClock.deliveryIds[0],
      rb.wallClock.deliveryIds[0],
      "the gateway's ids differ between runs, which is why they are kept out of the rest",
    )
    // Every fault shows its effect.
    const effect = (type: string) => ra.faults.find((f) => f.type === type)?.effect as Record<string, unknown>
    t.ok((effect('telemetryLoss').samplesLost as number) > 0)
    t.ok((effect('gpsNoise').samplesWithNoise as number) > 0)
    t.ok((effect('gpsDropout').samplesWithHeldPosition as number) > 0)
    t.ok((effect('telemetryDelay').samplesDelayed as number) > 0)
    t.ok((effect('batteryDrain').extraEnergyWh as number) > 0)
    t.ok((effect('brokerOutage').samplesNotSent as number) > 0)
    t.equal((effect('droneFailure').failed as unknown[]).length, 2)
    t.ok(ra.summary.droneFailures >= 2)
    t.ok(ra.drones.filter((d) => d.failed).length >= 2)
  },
)

t.test(
  'a world that differs from the model (true wind, drones, handling, late telemetry) repeats byte for byte with 1 and 3 workers',
  async (t) => {
    const [a, b] = [await tmp(), await tmp()]
    const file = 'test/fixtures/scenarios/world-mismatch.yaml'
    const one = await runCli(['run', file, '--workers', '1', '--out', a])
    const three = await runCli(['run', file, '--workers', '3', '--speed', '200', '--out', b])
    t.equal(one.code, 0, `1 worker: ${one.stdout.slice(-500)} ${one.stderr.slice(-300)}`)
    t.equal(three.code, 0, `3 workers: ${three.stdout.slice(-500)} ${three.stderr.slice(-300)}`)
    const [ta, tb] = [await readFile(join(a, 'results.json'), 'utf8'), await readFile(join(b, 'results.json'), 'utf8')]
    t.ok(deterministicPart(ta) === deterministicPart(tb), 'identical bytes up to the wall-clock section')
    const r = JSON.parse(ta) as RunResults
    t.match(
      r.scenario.world,
      { wind: { forecastError: 0.3 }, drones: { speedSpread: 0.1 }, telemetry: { delayS: 1 } },
      'the world is in the results',
    )
    t.ok(r.summary.completed > 0, `${r.summary.completed} deliveries completed`)
  },
)

t.test('gusty-city: the engine learns what it is not told, and its ETA meets the targets in the expect block', async (t) => {
  const out = await tmp()
  const r = await runCli(['run', 'scenarios/gusty-city.yaml', '--out', out])
  t.equal(r.code, 0, `exit 0, every expectation held: ${r.stdout.slice(-1500)} ${r.stderr.slice(-300)}`)
  const res = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults
  t.ok(res.expectations.length >= 9 && res.expectations.every((e) => e.ok))
  const five = res.etaAccuracy.horizons.find((h) => h.minutesBefore === 5)!
  t.ok(five.engine.maeS! <= 30, `5 min before arrival the engine errs ${five.engine.maeS} s on average`)
  t.ok(five.straightLine.maeS! >= 2 * five.engine.maeS!, `a straight line errs ${five.straightLine.maeS} s`)
  const c = res.etaAccuracy.coverage
  t.ok(c.rate! >= 0.75 && c.rate! <= 0.85, `${c.inside} of ${c.n} arrivals inside the window`)
  t.ok(c.low! <= 0.8 && c.high! >= 0.8, `its 95 % interval ${c.low}–${c.high} holds 0.8`)
  // Every completed delivery's windows hold their ETA.
  for (const d of res.deliveries)
    for (const [h, w] of Object.entries(d.predictedWindow)) {
      const at = d.predictedEta[h]
      if (w && typeof at === 'number' && !(w.p10 <= at && at <= w.p90))
        t.fail(`request ${d.request}, ${h} s: window ${w.p10}..${w.p90} misses ${at}`)
    }
  t.match(r.stdout, /5 min before\s+engine\s+[\d.]+\s+[\d.]+\s+[\d.]+ %/, 'the printed summary has the ETA table')
  t.match(r.stdout, /engine window coverage at 1, 5 and 10 min: [\d.]+ % \(95 % interval/)
  const html = await readFile(join(out, 'report.html'), 'utf8')
  t.match(html, /<h2>ETA accuracy<\/h2>/)
  t.match(html, /route in still air/)
})
