import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadScenario, parseScenario, ScenarioError } from '../sim/scenario/loadScenario.js'

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url))

const BASE = 'name: x\nseed: 1\nduration: 1 h\ndepots: [{id: a, position: [47.6, -122.3], drones: 3}]\n'

t.test('wind, phases, pickups, polygon areas, hotspots and faults load to SI values', async (t) => {
  const s = parseScenario(
    `${BASE}wind: {speed: 36 km/h, from: SW}\ndrone: {swapTime: 2 min, consumptionSpeed: 54 km/h}\n` +
      'demand:\n  rate: 60 /h\n  phases: [{at: 20 min, rate: 5 /min}, {at: 40 min, rate: 0}]\n' +
      '  pickups: [{position: [47.6, -122.3], weight: 3}, {position: [47.61, -122.31]}]\n' +
      '  area: {polygon: [[47.59, -122.31], [47.62, -122.31], [47.62, -122.28], [47.59, -122.28]]}\n' +
      '  hotspots: [{center: [47.605, -122.295], radius: 400 m, weight: 2}]\n' +
      'faults:\n' +
      '  - {type: droneFailure, at: 10 min}\n' +
      '  - {type: gpsNoise, at: 0 s, for: 5 min, drones: 50%, sigma: 20 m}\n' +
      '  - {type: telemetryLoss, at: 1 min, fraction: 5%}\n' +
      '  - {type: telemetryDelay, at: 1 min, for: 1 min, delay: 3 s, drones: [d-1, d-3]}\n' +
      '  - {type: batteryDrain, at: 0 s, drones: 2, factor: 3}\n' +
      '  - {type: brokerOutage, at: 30 min, for: 20 s}\n',
  )
  t.same(s.wind, { speedMps: 10, fromDeg: 225 })
  t.equal(s.drone.swapS, 120)
  t.equal(s.drone.refSpeedMps, 15)
  t.same(s.demand.phases, [
    { atS: 1200, ratePerHour: 300 },
    { atS: 2400, ratePerHour: 0 },
  ])
  t.same(s.demand.pickups, [
    { position: { lat: 47.6, lon: -122.3 }, weight: 3 },
    { position: { lat: 47.61, lon: -122.31 }, weight: 1 },
  ])
  t.equal(s.demand.area.polygon.length, 4)
  t.ok(
    Math.abs(s.demand.area.center.lat - 47.605) < 1e-9 && Math.abs(s.demand.area.center.lon + 122.295) < 1e-9,
    "center: the corners' mean",
  )
  t.same(s.demand.hotspots, [{ center: { lat: 47.605, lon: -122.295 }, radiusM: 400, weight: 2 }])
  t.same(
    s.faults.map((f) => [f.type, f.atS, f.forS, f.drones, f.line]),
    [
      ['droneFailure', 600, null, { kind: 'count', count: 1 }, 14],
      ['gpsNoise', 0, 300, { kind: 'share', fraction: 0.5 }, 15],
      ['telemetryLoss', 60, null, { kind: 'all' }, 16],
      ['telemetryDelay', 60, 60, { kind: 'ids', ids: ['d-1', 'd-3'] }, 17],
      ['batteryDrain', 0, null, { kind: 'count', count: 2 }, 18],
      ['brokerOutage', 1800, 20, { kind: 'all' }, 19],
    ],
  )
  t.match(s.faults[1], { sigmaM: 20 })
  t.match(s.faults[2], { fraction: 0.05 })
  t.match(s.faults[3], { delayS: 3 })
  t.match(s.faults[4], { factor: 3 })
})

t.test('directions: degrees, "deg", "°" and compass points', async (t) => {
  const from = (v: string) =>
    parseScenario(`${BASE}wind: {speed: 5, from: ${v}}\ndemand: {rate: 1, area: {center: [47.6, -122.3], radius: 1 km}}\n`).wind.fromDeg
  t.equal(from('270'), 270)
  t.equal(from('"90 deg"'), 90)
  t.equal(from('"45°"'), 45)
  t.equal(from('NNE'), 22.5)
  t.equal(from('w'), 270)
  t.equal(from('360'), 0)
})

t.test('mistakes in the extensions: each named with its line, field and value', async (t) => {
  const err = await loadScenario(repo('test/fixtures/scenarios/bad-extensions.yaml')).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(err instanceof ScenarioError)
  const issues = (err as ScenarioError).issues
  const at = (field: string) => issues.filter((i) => i.field === field).map((i) => [i.line, i.message])
  t.match(at('wind.from'), [[5, /must be a direction: degrees 0\.\.360 .* or a compass point .*got "WSWW"/]])
  t.match(at('demand.phases[1].rate'), [[12, /must be a rate ≥ 0, got "-5 \/h"/]])
  t.match(at('demand.phases[1].at'), []) // its rate failed, its order is still checked below
  t.match(at('demand.area.polygon'), [[13, /either center and radius .* or polygon, not both/]])
  t.match(at('faults[0].sigma'), [[17, /missing required key "sigma" for a gpsNoise fault/]])
  t.match(at('faults[1].for'), [[18, /"for" does not apply to a droneFailure fault/]])
  t.match(at('faults[1].drones'), [[18, /no drone "d-9"; drones are d-1 … d-4/]])
  t.match(at('faults[2].at'), [[19, /starts at 2400 s, not before the end of the run \(1800 s\)/]])
  t.match(at('faults[3].type'), [[20, /must be one of droneFailure, .*got "batteryDrian"; did you mean "batteryDrain"\?/]])
  t.match(at('faults[4].fraction'), [[21, /must be a fraction > 0 .*and ≤ 1 \(100%\), got "150%"/]])
  const order = issues.map((i) => i.line)
  t.same(
    order,
    [...order].sort((a, b) => a - b),
    'in line order',
  )
})

t.test('phases out of order, a hotspot far away, a count larger than the fleet', async (t) => {
  const err = t.throws(() =>
    parseScenario(
      `${BASE}demand:\n  rate: 60\n  phases: [{at: 30 min, rate: 10}, {at: 20 min, rate: 5}]\n  area: {center: [47.6, -122.3], radius: 2 km}\n` +
        '  hotspots: [{center: [45.52, -122.68], radius: 1 km}]\nfaults: [{type: droneFailure, at: 1 min, drones: 7}]\n',
      'p.yaml',
    ),
  ) as ScenarioError
  t.same(
    err.issues.map((i) => [i.line, i.field]),
    [
      [7, 'demand.phases[1].at'],
      [9, 'demand.hotspots[0].center'],
      [10, 'faults[0].drones'],
    ],
  )
  t.match(err.issues[0]?.message, 'phases must be in time order')
  t.match(err.issues[1]?.message, /km from the demand area's center; a hotspot must be within 50 km/)
  t.match(err.issues[2]?.message, 'asks for 7 drones; the fleet has 3')
})
