import t from 'tap'
import { decodeTelemetryJson, type TelemetryError } from '../protocol/telemetry.js'

const good = {
  droneId: 'd-17',
  seq: 812,
  ts: 1763700000000,
  lat: 47.61,
  lon: -122.33,
  alt: 120,
  speed: 22.5,
  heading: 87,
  battery: 0.83,
  state: 'cruise',
}

t.test('a valid sample decodes to the same fields', async (t) => {
  t.same(decodeTelemetryJson(JSON.stringify(good)), good)
})

const bad: Array<[string, unknown, string, string]> = [
  ['missing field', { ...good, lat: undefined }, 'lat', 'missing'],
  ['wrong type', { ...good, seq: '812' }, 'seq', 'type'],
  ['latitude above 90', { ...good, lat: 90.5 }, 'lat', 'range'],
  ['longitude below -180', { ...good, lon: -180.1 }, 'lon', 'range'],
  ['battery above 1', { ...good, battery: 1.2 }, 'battery', 'range'],
  ['battery below 0', { ...good, battery: -0.1 }, 'battery', 'range'],
  ['unknown state', { ...good, state: 'flying' }, 'state', 'type'],
  ['bad drone id', { ...good, droneId: 'a/b' }, 'droneId', 'type'],
  ['fractional seq', { ...good, seq: 1.5 }, 'seq', 'range'],
]
for (const [name, sample, field, reason] of bad) {
  t.test(`rejects ${name}, naming "${field}"`, async (t) => {
    const err = t.throws(() => decodeTelemetryJson(JSON.stringify(sample))) as TelemetryError
    t.equal(err.code, 'DF_TELEMETRY_INVALID')
    t.equal(err.field, field)
    t.equal(err.reason, reason)
    t.match(err.message, field)
  })
}

t.test('NaN and Infinity are rejected: as JSON text, and as values', async (t) => {
  const e1 = t.throws(() => decodeTelemetryJson(JSON.stringify(good).replace('47.61', 'NaN'))) as TelemetryError
  t.equal(e1.reason, 'malformed')
  const e2 = t.throws(() => decodeTelemetryJson(JSON.stringify(good).replace('47.61', '1e999'))) as TelemetryError
  t.equal(e2.field, 'lat')
  t.equal(e2.reason, 'range')
})

t.test('non-object payloads are malformed', async (t) => {
  for (const p of ['[]', '42', 'null', '{"droneId":']) {
    const err = t.throws(() => decodeTelemetryJson(p)) as TelemetryError
    t.equal(err.reason, 'malformed', p)
  }
})

t.test('a refusal travels with the sample; a malformed one is named', async (t) => {
  t.equal(decodeTelemetryJson(JSON.stringify({ ...good, refused: 'del-1' })).refused, 'del-1')
  t.notOk('refused' in decodeTelemetryJson(JSON.stringify(good)), 'absent when not refusing')
  const err = t.throws(() => decodeTelemetryJson(JSON.stringify({ ...good, refused: 7 }))) as TelemetryError
  t.equal(err.field, 'refused')
})
