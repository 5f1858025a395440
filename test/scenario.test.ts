import { readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { validateCommand } from '../cli/validate.js'
import { SCHEMA_FILE } from '../cli/writeScenarioSchema.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { loadScenario, parseScenario, ScenarioError } from '../sim/scenario/loadScenario.js'
import { scenarioSchemaJson } from '../sim/scenario/scenarioSchema.js'

// Tests run from dist/test/; fixtures and scenarios stay in the source tree.
const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url))
const QUICKSTART = repo('scenarios/quickstart.yaml')
const fixture = (name: string) => repo(`test/fixtures/scenarios/${name}.yaml`)

async function issuesOf(file: string): Promise<ScenarioError> {
  try {
    await loadScenario(file)
  } catch (err) {
    if (err instanceof ScenarioError) return err
    throw err
  }
  throw new Error(`${file} loaded without error`)
}

t.test('quickstart loads to SI values, frozen', async (t) => {
  const s = await loadScenario(QUICKSTART)
  t.equal(s.name, 'quickstart')
  t.equal(s.seed, 42)
  t.equal(s.start, Date.parse('2026-01-05T09:00:00Z'))
  t.equal(s.durationS, 1800)
  t.equal(s.speed, 'max')
  t.equal(s.tickS, 1)
  t.same(s.drone, DEFAULT_PROFILE)
  t.equal(s.depots.length, 2)
  t.ok(s.depots.reduce((n, d) => n + d.drones, 0) >= 20)
  t.same(s.depots[0]?.position, { lat: 47.625, lon: -122.338 })
  t.equal(s.demand.ratePerHour, 150)
  t.ok(s.demand.ratePerHour * (s.durationS / 3600) >= 50, 'at least 50 requests expected')
  t.same(s.demand.area, { center: { lat: 47.61, lon: -122.33 }, radiusM: 3000, polygon: [] })
  t.same(s.wind, { speedMps: 0, fromDeg: 0 })
  t.same(s.faults, [])
  t.same(s.demand.weightKg, { min: 0.2, max: 2 })
  t.equal(s.demand.deadlineS, 2700)
  t.same(
    s.expect.map((e) => [e.figure, e.op, e.value]),
    [
      ['requested', '>=', 50],
      ['completionRate', '>=', 0.5],
    ],
  )
  const text = await readFile(QUICKSTART, 'utf8')
  t.equal(s.expect[0]?.line, text.split('\n').findIndex((l) => l.includes('requested:')) + 1)
  t.equal(
    s.hash,
    createHash('sha256')
      .update(await readFile(QUICKSTART))
      .digest('hex'),
  )
  t.ok(Object.isFrozen(s) && Object.isFrozen(s.demand.area.center) && Object.isFrozen(s.depots[1]) && Object.isFrozen(s.expect))
})

t.test('defaults fill what a minimal scenario leaves out', async (t) => {
  const s = parseScenario(
    'name: m\nseed: 0\nduration: 1 h\ndepots: [{id: a, position: {lat: 47.6, lon: -122.3}, drones: 1}]\n' +
      'demand: {rate: 1 /min, area: {center: [47.6, -122.3], radius: 2000}}\nexpect: {completed: 3}\n',
  )
  t.equal(s.start, Date.parse('2026-01-05T09:00:00Z'))
  t.equal(s.speed, 'max')
  t.equal(s.tickS, 1)
  t.same(s.drone, DEFAULT_PROFILE)
  t.equal(s.demand.ratePerHour, 60)
  t.same(s.demand.weightKg, { min: 0.2, max: 2 })
  t.equal(s.demand.deadlineS, 2700)
  t.same(s.expect, [{ figure: 'completed', op: '==', value: 3, line: 6 }])
})

// [fixture, line, field, value, message]
const broken: Array<[string, number, string, unknown, RegExp]> = [
  ['bad-unit', 6, 'drone.cruiseSpeed', '15 m/ss', /unknown unit "m\/ss" for a speed; use m\/s, km\/h, kn/],
  ['unknown-key', 7, 'drone.cruiseSped', 'cruiseSped', /unknown key "cruiseSped"; did you mean "cruiseSpeed"\?/],
  ['negative-rate', 10, 'demand.rate', '-150 /h', /must be a rate > 0, got "-150 \/h"/],
  [
    'far-depot',
    10,
    'depots[1].position',
    { lat: 45.52, lon: -122.68 },
    /is 2\d\d\.\d km from the demand area's center; a depot must be within 50 km/,
  ],
  ['syntax-error', 6, '(yaml)', 'cruiseSpeed: 15 m/s', /[Tt]ab/],
  ['missing-field', 9, 'demand.rate', undefined, /missing required key "rate"/],
  ['wrong-type', 11, 'depots[1].drones', 'twelve', /must be an integer, got "twelve"/],
]
for (const [name, line, field, value, message] of broken) {
  t.test(`${name}: one issue naming line ${line}, ${field} and the value`, async (t) => {
    const err = await issuesOf(fixture(name))
    t.equal(err.code, 'DF_SCENARIO_INVALID')
    t.equal(err.issues.length, 1, err.message)
    const issue = err.issues[0]!
    t.equal(issue.line, line)
    t.ok(issue.column >= 1)
    t.equal(issue.field, field)
    t.same(issue.value, value)
    t.match(issue.message, message)
    t.match(err.message, `${fixture(name)}:${line}:`)
  })
}

t.test('a file with several mistakes reports all of them, in line order', async (t) => {
  const err = await issuesOf(fixture('many-errors'))
  t.same(
    err.issues.map((i) => [i.line, i.field]),
    [
      [3, 'seed'],
      [5, 'tick'],
      [7, 'drone.reserve'],
      [10, 'depots'],
      [13, 'depots[1].id'],
      [19, 'demand.weight.max'],
      [20, 'demand.dedline'],
      [23, 'expect.onTimeRat'],
    ],
    err.message,
  )
  const msg = (field: string) => err.issues.find((i) => i.field === field)?.message ?? ''
  t.match(msg('seed'), 'must be an integer ≥ 0, got -3')
  t.match(msg('tick'), 'unknown unit "fortnights" for a time')
  t.match(msg('drone.reserve'), /must be a fraction .*< 1.*got "120%"/)
  t.match(msg('depots'), '0 drones in total')
  t.match(msg('depots[1].id'), 'duplicate depot id "north"')
  t.match(msg('demand.weight.max'), 'exceeds drone.maxPayload 1 kg')
  t.match(msg('demand.dedline'), 'did you mean "deadline"?')
  t.match(msg('expect.onTimeRat'), 'did you mean "onTimeRate"?')
})

t.test('weight min above max, and a tick longer than the run', async (t) => {
  const err = t.throws(() =>
    parseScenario(
      'name: w\nseed: 1\nduration: 10 s\ntick: 1 min\ndepots: [{id: a, position: [47.6, -122.3], drones: 1}]\n' +
        'demand:\n  rate: 10\n  area: {center: [47.6, -122.3], radius: 1 km}\n  weight: {min: 2 kg, max: 500 g}\n',
      'w.yaml',
    ),
  ) as ScenarioError
  t.same(
    err.issues.map((i) => [i.line, i.field]),
    [
      [4, 'tick'],
      [9, 'demand.weight.min'],
    ],
  )
  t.match(err.issues[1]?.message, 'must not exceed weight.max (0.5 kg), got 2 kg')
})

t.test('a file that cannot be read is SCENARIO_UNREADABLE', async (t) => {
  const err = await issuesOf(fixture('does-not-exist'))
  t.equal(err.code, 'DF_SCENARIO_UNREADABLE')
  t.match(err.message, 'does-not-exist.yaml')
})

function capture() {
  const out = { stdout: '', stderr: '' }
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } }
}

t.test('validate: 0 and a one-line summary for quickstart', async (t) => {
  const { out, io } = capture()
  t.equal(await validateCommand(QUICKSTART, io), 0)
  t.equal(out.stderr, '')
  t.match(out.stdout, /^.*quickstart\.yaml: OK {2}"quickstart": 2 depots, 30 drones, 30 min simulated\n$/)
})

t.test('validate: 2 and one file:line:column line per issue', async (t) => {
  const { out, io } = capture()
  const file = fixture('many-errors')
  t.equal(await validateCommand(file, io), 2)
  t.equal(out.stdout, '')
  const lines = out.stderr.trimEnd().split('\n')
  t.equal(lines.length, 8)
  for (const l of lines) t.match(l, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+  \\S+  .+`))
  t.equal(lines[0], `${file}:3:7  seed  must be an integer ≥ 0, got -3`)
})

t.test('validate: 2 for an unreadable file', async (t) => {
  const { out, io } = capture()
  t.equal(await validateCommand(fixture('does-not-exist'), io), 2)
  t.match(out.stderr, 'cannot read scenario')
})

t.test('scenarios/scenario.schema.json is what the schema generates', async (t) => {
  t.equal(await readFile(SCHEMA_FILE, 'utf8'), scenarioSchemaJson(), 'run node dist/cli/writeScenarioSchema.js')
  const json = JSON.parse(scenarioSchemaJson()) as Record<string, unknown>
  t.equal(json.$schema, 'http://json-schema.org/draft-07/schema#')
  t.ok(json.$id && json.title && json.description)
})

t.test('quickstart points editors at the schema', async (t) => {
  const first = (await readFile(QUICKSTART, 'utf8')).split('\n')[0]
  t.equal(first, '# yaml-language-server: $schema=./scenario.schema.json')
})

t.test('start, speed, positions and thresholds get their own messages', async (t) => {
  const err = t.throws(() =>
    parseScenario(
      'name: p\nseed: 1\nstart: next monday\nduration: 1 h\nspeed: fast\n' +
        'depots:\n  - {id: a, position: [-122.3, 47.6], drones: 1}\n  - {id: b, position: {lat: 47.6, lng: -122.3}, drones: 1}\n' +
        'demand: {rate: 10, area: {center: [47.6, -122.3], radius: 1 km}}\nexpect: {completed: "about 5"}\n',
      'p.yaml',
    ),
  ) as ScenarioError
  t.same(
    err.issues.map((i) => [i.line, i.field, i.value]),
    [
      [3, 'start', 'next monday'],
      [5, 'speed', 'fast'],
      [7, 'depots[0].position', [-122.3, 47.6]],
      [8, 'depots[1].position', { lat: 47.6, lng: -122.3 }],
      [10, 'expect.completed', 'about 5'],
    ],
    err.message,
  )
  t.match(err.issues[0]?.message, 'must be an ISO 8601 time')
  t.match(err.issues[1]?.message, 'must be "max" or a multiple of real time > 0')
  t.match(err.issues[2]?.message, 'is it [lon, lat]?')
  t.match(err.issues[3]?.message, 'unknown key "lng" in a position; did you mean "lon"?')
  t.match(err.issues[4]?.message, 'must be "<op> <number>"')
})
