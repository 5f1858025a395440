import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import type { Zone } from '../protocol/geo.js'
import { parseScenario, ScenarioError } from '../sim/scenario/loadScenario.js'
import { noFlyZoneAt } from '../sim/noFlyZoneAt.js'
import type { RunResults } from '../sim/report/runResults.js'
import { runCli, spawnCli } from './helpers/cli.js'
import { DEPOT, harness, offset, T0 } from './engine-harness.js'

const BASE =
  'name: zones\nseed: 1\nduration: 1 h\n' +
  'depots: [{id: north, position: [47.625, -122.338], drones: 3}]\n' +
  'demand: {rate: 0.0001 /h, area: {center: [47.61, -122.33], radius: 3 km}}\n'
/** A block of about 670 × 600 m south of the depot. */
const STADIUM =
  '{id: stadium, name: Lumen Field, polygon: [[47.600, -122.336], [47.606, -122.336], [47.606, -122.328], [47.600, -122.328]]}'

function issuesOf(yaml: string): ScenarioError['issues'] {
  try {
    parseScenario(yaml, 'z.yaml')
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues
    throw err
  }
  return []
}

t.test("zones load as the engine's zones: id, name, polygon, no-fly by default", async (t) => {
  const s = parseScenario(
    `${BASE}zones:\n  - ${STADIUM}\n  - {id: park, polygon: [{lat: 47.62, lon: -122.32}, [47.625, -122.32], [47.625, -122.31]], noFly: false}\n`,
  )
  t.same(s.zones, [
    {
      id: 'stadium',
      name: 'Lumen Field',
      noFly: true,
      polygon: [
        { lat: 47.6, lon: -122.336 },
        { lat: 47.606, lon: -122.336 },
        { lat: 47.606, lon: -122.328 },
        { lat: 47.6, lon: -122.328 },
      ],
    },
    {
      id: 'park',
      noFly: false,
      polygon: [
        { lat: 47.62, lon: -122.32 },
        { lat: 47.625, lon: -122.32 },
        { lat: 47.625, lon: -122.31 },
      ],
    },
  ])
  t.same(parseScenario(BASE).zones, [], 'none by default')
})

t.test('bad zones are reported with line, field and value', async (t) => {
  const yaml =
    `${BASE}zones:\n` +
    `  - ${STADIUM}\n` + // line 7
    '  - {id: stadium, polygon: [[47.61, -122.30], [47.62, -122.30], [47.61, -122.29], [47.62, -122.29]]}\n' + // 8: duplicate id, bow-tie
    '  - {id: line, polygon: [[47.61, -122.30], [47.615, -122.30], [47.62, -122.30]]}\n' + // 9: no area
    '  - {id: tiny, polygon: [[47.61, -122.30], [47.62, -122.30]]}\n' + // 10: two corners
    '  - {id: odd, polygon: [[47.61, -122.30], [47.62, -122.30], [47.62, -122.29]], noFli: true}\n' + // 11: typo
    '  - {id: "bad id!", polygon: [[47.61, -122.30], [47.62, -122.30], [47.62, 122.29]]}\n' + // 12: lon sign slip
    '  - {id: huge, polygon: [[47.0, -122.30], [48.2, -122.30], [48.2, -122.0]]}\n' // 13
  const issues = issuesOf(yaml)
  const at = (field: string) => issues.find((i) => i.field === field)
  t.match(at('zones[1].id'), { line: 8, value: 'stadium', message: 'duplicate zone id "stadium" (also zones[0])' })
  t.match(at('zones[1].polygon[1]'), { line: 8, message: /corner 1: edge 1-2 crosses edge 3-0; the polygon must not intersect itself/ })
  t.match(at('zones[2].polygon'), { line: 9, message: /encloses no area/ })
  t.match(at('zones[3].polygon'), { line: 10, message: 'must list at least 3, got 2' })
  t.match(at('zones[4].noFli'), { line: 11, message: 'unknown key "noFli"; did you mean "noFly"?' })
  t.match(at('zones[5].id'), { line: 12, message: /must be 1-64 letters/ })
  // Issue 11: zones may lie across ±180°; read that way, a slipped sign makes this one thousands of km wide.
  t.match(at('zones[5].polygon'), { line: 12, message: /may be at most 100 km across .*±180°.*sign/ })
  t.match(at('zones[6].polygon'), { line: 13, message: 'may be at most 100 km across' })
  t.equal(issues.length, 8, issues.map((i) => `${i.line} ${i.field} ${i.message}`).join('\n'))
})

t.test('depots, pickups and hotspots inside a no-fly zone are errors; inside a watched zone they are fine', async (t) => {
  const yaml =
    'name: zones\nseed: 1\nduration: 1 h\n' +
    'depots: [{id: north, position: [47.625, -122.338], drones: 3}, {id: inside, position: [47.603, -122.332], drones: 0}]\n' +
    'demand:\n  rate: 1 /h\n  area: {center: [47.61, -122.33], radius: 3 km}\n' +
    '  pickups: [{position: [47.604, -122.330]}]\n' +
    '  hotspots: [{center: [47.601, -122.335], radius: 1 km}]\n' +
    `zones:\n  - ${STADIUM}\n`
  const issues = issuesOf(yaml)
  t.match(issues, [
    { line: 4, field: 'depots[1].position', message: 'lies inside no-fly zone "stadium"; a depot must be outside every no-fly zone' },
    { line: 8, field: 'demand.pickups[0].position', message: /lies inside no-fly zone "stadium"; the gateway would refuse/ },
    { line: 9, field: 'demand.hotspots[0].center', message: /lies inside no-fly zone "stadium"/ },
  ])
  t.equal(issues.length, 3)
  t.same(issuesOf(yaml.replace('polygon: [[47.600', 'noFly: false, polygon: [[47.600')), [], 'a watched zone may hold them')
})

t.test("the engine gets the scenario's zones and wind: it knows the zone, and a headwind makes its ETA later", async (t) => {
  const calm = parseScenario(`${BASE}zones:\n  - ${STADIUM}\n`)
  const windy = parseScenario(`${BASE}wind: {speed: 5 m/s, from: N}\n`)
  const west = parseScenario(`${BASE}wind: {speed: 10 m/s, from: W}\n`)
  const o = scenarioEngineOptions(calm)
  t.same(o.depots, [{ lat: 47.625, lon: -122.338 }])
  t.equal(o.profile, calm.drone)
  t.equal(o.wind, undefined, "calm: still air, the engine's default")
  const w = scenarioEngineOptions(west).wind!(DEPOT, T0)
  t.ok(Math.abs(w.eastMps - 10) < 1e-9 && Math.abs(w.northMps) < 1e-9, `a west wind blows east: ${JSON.stringify(w)}`)
  const n = scenarioEngineOptions(windy).wind!(DEPOT, T0)
  t.ok(Math.abs(n.northMps + 5) < 1e-9 && Math.abs(n.eastMps) < 1e-9, `a north wind blows south: ${JSON.stringify(n)}`)

  const withZone = harness({ zones: o.zones })
  t.same(
    withZone.engine.zones().map((z: Zone) => z.id),
    ['stadium'],
  )
  t.equal(withZone.engine.noFlyZoneAt(47.603, -122.332)?.id, 'stadium')
  t.equal(withZone.engine.noFlyZoneAt(47.61, -122.332), undefined)

  // The same trip north in still air and into the scenario's north wind.
  const eta = (opts: ReturnType<typeof scenarioEngineOptions>): number => {
    const h = harness({ wind: opts.wind })
    h.send('d-1', T0, DEPOT)
    h.create('del-1', offset(DEPOT, 1000, 0), offset(DEPOT, 2500, 0))
    return h.engine.delivery('del-1')!.eta!.at - T0
  }
  const still = eta(o),
    into = eta(scenarioEngineOptions(windy))
  // 2500 m at 10 m/s instead of 15 m/s over the ground.
  t.ok(Math.abs(into - still - (2500 / 10 - 2500 / 15) * 1000) < 2000, `ETA ${still / 1000} s in still air, ${into / 1000} s into the wind`)
})

t.test(
  "serve --scenario: the engine knows the scenario's zones (GET /v1/zones) and the gateway refuses drop-offs inside (422)",
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dronefleet-zones-'))
    const file = join(dir, 'zones.yaml')
    await writeFile(file, `${BASE}wind: {speed: 6 m/s, from: SW}\nzones:\n  - ${STADIUM}\n`)
    const serve = spawnCli(
      [
        'serve',
        '--data',
        join(dir, 'data'),
        '--mqtt-port',
        '0',
        '--http-port',
        '0',
        '--ws-port',
        '0',
        '--api-key',
        'k',
        '--scenario',
        file,
      ],
      { DRONEFLEET_LOG: 'warn' },
    )
    t.teardown(() => {
      serve.child.kill('SIGKILL')
    })
    const api = (await serve.waitFor(/http\s+(http:\/\/\S+)/))[1]!
    t.match(serve.stdout(), /scenario\s+zones: 1 depot\(s\), 1 zone\(s\), wind 6 m\/s from 225°/)
    const headers = { authorization: 'Bearer k', 'content-type': 'application/json' }
    const zones = (await (await fetch(`${api}/v1/zones`, { headers })).json()) as { items: Zone[] }
    t.same(
      zones.items.map((z) => [z.id, z.name, z.noFly, z.polygon.length]),
      [['stadium', 'Lumen Field', true, 4]],
    )
    const post = (dropoff: { lat: number; lon: number }) =>
      fetch(`${api}/v1/deliveries`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ pickup: { lat: 47.625, lon: -122.338 }, dropoff, weightKg: 1 }),
      })
    const refused = await post({ lat: 47.603, lon: -122.332 })
    t.equal(refused.status, 422)
    t.match(await refused.text(), /dropoff.*no-fly zone.*Lumen Field/)
    t.equal((await post({ lat: 47.615, lon: -122.332 })).status, 202, 'outside the zone: accepted')
    serve.child.kill('SIGTERM')
    t.equal(await serve.exit, 0)
  },
)

t.test(
  'run with zones: the engine routes round them, no request is refused, no drop-off falls in one, and results and report show them',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dronefleet-zones-run-'))
    const file = join(dir, 'zoned.yaml')
    // The quickstart's demand disc with a no-fly block over a ninth of it, for 8 minutes.
    const block = '{id: eastside, polygon: [[47.600, -122.325], [47.615, -122.325], [47.615, -122.300], [47.600, -122.300]]}'
    const text = (await readFile('scenarios/quickstart.yaml', 'utf8'))
      .replace('duration: 30 min', 'duration: 8 min')
      .replace(/expect:[\s\S]*$/, `zones:\n  - ${STADIUM}\n  - ${block}\nexpect:\n  requested: ">= 10"\n  completed: ">= 1"\n`)
    await writeFile(file, text)
    const r = await runCli(['run', file, '--out', dir])
    t.equal(r.code, 0, `exit 0: ${r.stdout.slice(-600)} ${r.stderr.slice(-600)}`)
    const res = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as RunResults
    t.same(
      res.scenario.zones.map((z) => z.id),
      ['stadium', 'eastside'],
    )
    const inside = res.deliveries.filter((d) => noFlyZoneAt(res.scenario.zones, d.dropoff))
    t.same(inside, [], `none of ${res.deliveries.length} drop-offs in the zone`)
    // The engine knew the zones: every route it sent keeps out of them, some by turning round them.
    const geo = JSON.parse(await readFile(join(dir, 'routes.geojson'), 'utf8')) as {
      features: Array<{ geometry: { type: string; coordinates: Array<[number, number]> } }>
    }
    const routes = geo.features
      .filter((f) => f.geometry.type === 'LineString')
      .map((f) => f.geometry.coordinates.map(([lon, lat]) => ({ lat, lon })))
    t.ok(routes.length >= 5, `${routes.length} routes`)
    const entering = routes.filter((rt) =>
      rt.some((a, k) => {
        const b = rt[k + 1]
        if (!b) return false
        // Every ~5 m along the segment.
        const steps = Math.ceil(Math.hypot(b.lat - a.lat, b.lon - a.lon) / 0.00005)
        for (let j = 0; j <= steps; j++) {
          if (noFlyZoneAt(res.scenario.zones, { lat: a.lat + ((b.lat - a.lat) * j) / steps, lon: a.lon + ((b.lon - a.lon) * j) / steps }))
            return true
        }
        return false
      }),
    )
    t.equal(entering.length, 0, 'no route crosses a no-fly zone')
    t.ok(
      routes.some((rt) => rt.length > 4),
      'some routes turn round a zone (more than start, pickup, drop-off, depot)',
    )
    const html = await readFile(join(dir, 'report.html'), 'utf8')
    t.match(html, /<polygon points="[^"]+" fill="#e63946"[^>]*><title>no-fly zone Lumen Field<\/title>/, 'the map draws the zone')
  },
)
