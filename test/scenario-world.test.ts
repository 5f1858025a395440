import t from 'tap'
import { parseScenario, ScenarioError } from '../sim/scenario/loadScenario.js'
import { MODEL_WORLD } from '../sim/scenario/Scenario.js'

const BASE =
  'name: x\nseed: 1\nduration: 1 h\ndepots: [{id: a, position: [47.6, -122.3], drones: 3}]\n' +
  'demand: {rate: 60 /h, area: {center: [47.6, -122.3], radius: 2 km}}\n'

function issues(yaml: string): Array<{ field: string; value: unknown; message: string; line: number }> {
  try {
    parseScenario(yaml, 'w.yaml')
  } catch (err) {
    if (err instanceof ScenarioError) return [...err.issues]
    throw err
  }
  return []
}

t.test('without `world` the world is the model: every mismatch off', async (t) => {
  const s = parseScenario(BASE)
  t.same(s.world, MODEL_WORLD)
})

t.test('world keys load to SI units, each one optional', async (t) => {
  const s = parseScenario(
    `${BASE}wind: {speed: 8 m/s, from: W}\n` +
      'world:\n' +
      '  wind: {forecastError: 30%, gusts: 2 m/s, gustSize: 1.2 km, gustTime: 2 min, drift: 3.6 km/h, driftTime: 1 h}\n' +
      '  drones: {speedSpread: 10%, batterySpread: 0.15, batteryAgeing: 0.5%}\n' +
      '  handling: {spread: 40%, absent: 10%, absentWait: 1.5 min}\n' +
      '  telemetry: {delay: 1500 ms, jitter: 0.5 s}\n',
  )
  t.same(s.world, {
    wind: { forecastError: 0.3, gustsMps: 2, gustSizeM: 1200, gustTimeS: 120, driftMps: 1, driftTimeS: 3600 },
    drones: { speedSpread: 0.1, batterySpread: 0.15, batteryAgeing: 0.005 },
    handling: { spread: 0.4, absent: 0.1, absentWaitS: 90 },
    telemetry: { delayS: 1.5, jitterS: 0.5 },
  })
  const partial = parseScenario(`${BASE}world: {drones: {speedSpread: 5%}}\n`)
  t.same(partial.world, { ...MODEL_WORLD, drones: { ...MODEL_WORLD.drones, speedSpread: 0.05 } }, 'the rest keeps its defaults')
})

t.test('bad world keys are errors naming the field and the value', async (t) => {
  const bad = issues(
    `${BASE}world:\n` +
      '  wind: {gusts: -1 m/s, gust: 2 m/s}\n' +
      '  drones: {speedSpread: 80%, batteryAgeing: 2 kg}\n' +
      '  handling: {absent: 1.5}\n' +
      '  telemetry: {delay: 2 min}\n' +
      '  weather: {}\n',
  )
  const by = (field: string) => bad.find((i) => i.field === field)
  t.match(by('world.wind.gusts'), { value: '-1 m/s', message: /must be a speed ≥ 0/ })
  t.match(by('world.wind.gust'), { message: /unknown key "gust"; did you mean "gusts"\?/ })
  t.match(by('world.drones.speedSpread'), { value: '80%', message: /≤ 0.5 \(50%\), got "80%"/ })
  t.match(by('world.drones.batteryAgeing'), { value: '2 kg', message: /unit/ })
  t.match(by('world.handling.absent'), { value: 1.5, message: /≤ 1/ })
  t.match(by('world.telemetry.delay'), { value: '2 min', message: /≤ 60, got "2 min"/ })
  t.match(by('world.weather'), { message: /unknown key "weather"/ })
  for (const i of bad) t.ok(i.line > 0, `${i.field} has a line`)
})

t.test('world keys that would do nothing are errors that say why', async (t) => {
  const calm = issues(`${BASE}world: {wind: {forecastError: 30%}}\n`)
  t.match(calm, [{ field: 'world.wind.forecastError', value: '30%', message: /forecast is calm/ }])
  const zero = issues(`${BASE}wind: {speed: 0, from: N}\nworld: {wind: {forecastError: 30%}}\n`)
  t.match(zero, [{ field: 'world.wind.forecastError', message: /forecast is calm/ }])
  t.same(issues(`${BASE}wind: {speed: 5, from: N}\nworld: {wind: {forecastError: 30%}}\n`), [], 'with a forecast it is fine')
  const wait = issues(`${BASE}world: {handling: {absentWait: 2 min}}\n`)
  t.match(wait, [{ field: 'world.handling.absentWait', value: '2 min', message: /set world.handling.absent/ }])
})
