import { fileURLToPath } from 'node:url'
import t from 'tap'
import { validateCommand } from '../cli/validate.js'
import { RegionMap } from '../protocol/RegionMap.js'
import { loadScenario, parseScenario, ScenarioError } from '../sim/scenario/loadScenario.js'
import { scenarioSchemaJson } from '../sim/scenario/scenarioSchema.js'

// Tests run from dist/test/; fixtures and scenarios stay in the source tree.
const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url))

const BASE =
  'name: regions\nseed: 1\nduration: 1 h\n' +
  'depots: [{id: north, position: [47.66, -122.33], drones: 3}, {id: south, position: [47.58, -122.33], drones: 2}]\n' +
  'demand: {rate: 10 /h, area: {center: [47.61, -122.33], radius: 3 km}}\n'
const REGIONS =
  'regions:\n' +
  '  - {id: north, polygon: [[47.70, -122.45], [47.70, -122.20], [47.62, -122.20], [47.62, -122.45]]}\n' +
  '  - {id: south, polygon: [[47.62, -122.45], [47.62, -122.20], [47.54, -122.20], [47.54, -122.45], [47.62, -122.45]]}\n'

function issuesOf(yaml: string): ScenarioError['issues'] {
  try {
    parseScenario(yaml, 'r.yaml')
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues
    throw err
  }
  return []
}

t.test('regions load as named polygons; none means the one default region', async (t) => {
  const s = parseScenario(BASE + REGIONS)
  t.same(
    s.regions.map((r) => [r.id, r.polygon.length]),
    [
      ['north', 4],
      ['south', 5],
    ],
    'the closing corner is kept as written; the ring drops it',
  )
  t.same(s.regions[0]!.polygon[0], { lat: 47.7, lon: -122.45 })
  t.ok(Object.isFrozen(s.regions[0]!.polygon), 'frozen like the rest')
  const map = new RegionMap(s.regions)
  t.same(
    s.depots.map((d) => map.regionOf(d.position.lat, d.position.lon)),
    ['north', 'south'],
  )
  const none = parseScenario(BASE)
  t.same(none.regions, [])
  t.same(new RegionMap(none.regions).ids, ['default'])
  // {lat, lon} corners work as in zones.
  const obj = parseScenario(
    `${BASE}regions:\n  - {id: all, polygon: [{lat: 47.7, lon: -122.45}, {lat: 47.7, lon: -122.2}, [47.5, -122.2], [47.5, -122.45]]}\n`,
  )
  t.same(obj.regions[0]!.polygon[1], { lat: 47.7, lon: -122.2 })
})

t.test('every problem of a regions: section, each at its line, field and value', async (t) => {
  const file = repo('test/fixtures/scenarios/bad-regions.yaml')
  const err = await loadScenario(file).then(
    () => t.fail('loaded') as never,
    (e: unknown) => e as ScenarioError,
  )
  t.equal(err.code, 'DF_SCENARIO_INVALID')
  const at = (field: string) => err.issues.filter((i) => i.field === field)
  t.match(at('regions[2].id'), [{ line: 15, column: 11, value: 'North', message: /must be 1-63 lowercase letters.*got "North"/ }])
  t.match(at('regions[3].id'), [{ line: 16, value: 'south', message: 'duplicate region id "south" (also regions[1])' }])
  t.match(at('regions[4].polygon[0]'), [
    { line: 17, message: /corner 0: edge 0-1 crosses edge 2-3; the polygon must not intersect itself/ },
  ])
  t.match(at('regions[5].polygon'), [
    { line: 18, column: 26, message: 'overlaps region "north" (regions[0]); regions may share edges but not area' },
  ])
  t.match(at('regions[6].id'), [{ line: 19, value: 'default', message: /"default" is the region of a world without regions/ }])
  t.match(at('regions[7].polygon'), [{ line: 20, message: 'must list at least 3, got 2' }])
  t.match(at('regions[8].polygon'), [{ line: 21, message: 'may be at most 2000 km across' }])
  t.match(at('regions[8].name'), [{ line: 21, message: 'unknown key "name"; known keys: id, polygon' }])
  t.equal(err.issues.length, 8, err.message)
  t.notOk(
    err.issues.some((i) => i.field.startsWith('regions[1]') || i.field.startsWith('regions[0]')),
    'the good regions are not blamed',
  )

  const lines: string[] = []
  const code = await validateCommand(file, { stdout: (s) => lines.push(s), stderr: (s) => lines.push(s) })
  t.equal(code, 2)
  t.match(lines.join(''), /bad-regions\.yaml:18:26 {2}regions\[5\]\.polygon {2}overlaps region "north"/)
})

t.test('each depot and each pickup point must lie in a region', async (t) => {
  const yaml =
    'name: r\nseed: 1\nduration: 1 h\n' +
    'depots: [{id: in, position: [47.66, -122.33], drones: 3}, {id: out, position: [47.75, -122.33], drones: 1}]\n' + // line 4
    'demand: {rate: 10 /h, area: {center: [47.61, -122.33], radius: 3 km},\n' +
    '  pickups: [{position: [47.61, -122.30]}, {position: [47.61, -122.50]}, {position: [47.62, -122.30]}]}\n' + // line 6
    REGIONS
  const issues = issuesOf(yaml)
  t.match(issues, [
    {
      line: 4,
      field: 'depots[1].position',
      value: [47.75, -122.33],
      message: "lies outside every region (north, south); a depot's drones belong to the region that holds it",
    },
    {
      line: 6,
      field: 'demand.pickups[1].position',
      value: [47.61, -122.5],
      message: 'lies outside every region (north, south); a request belongs to the region of its pickup',
    },
  ])
  t.equal(issues.length, 2, 'a pickup on the edge two regions share is in one of them')
  t.same(issuesOf(BASE), [], 'without regions, anywhere is in the default region')
})

t.test('the published schema describes regions, and a region id is a topic level', async (t) => {
  const schema = JSON.parse(scenarioSchemaJson()) as {
    properties: { regions: { items: { properties: { id: { pattern: string } }; required: string[] } } }
  }
  const items = schema.properties.regions.items
  t.same(items.required.sort(), ['id', 'polygon'])
  const id = new RegExp(items.properties.id.pattern)
  t.ok(id.test('seattle-north_2'))
  t.notOk(id.test('Seattle'))
  t.notOk(id.test('a/b'), 'no topic separator')
  t.notOk(id.test('+'), 'no wildcard')
})

t.test('validate names the regions of a valid scenario', async (t) => {
  const out: string[] = []
  const code = await validateCommand(repo('scenarios/three-cities.yaml'), { stdout: (s) => out.push(s), stderr: (s) => out.push(s) })
  t.equal(code, 0, out.join(''))
  t.match(
    out.join(''),
    /three-cities\.yaml: OK {2}"three-cities": 4 depots in 3 regions \(seattle, kirkland, bellevue\), 15 drones, 30 min simulated\n$/,
  )
})
