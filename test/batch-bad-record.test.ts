import { connectAsync } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startMqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { type BatchError, BatchWriter, decodeBatch, HEADER_BYTES, openBatch, RECORD_BYTES, stateCode } from '../protocol/batchCodec.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { decodeTelemetryJson, encodeTelemetryJson, type TelemetrySample } from '../protocol/telemetry.js'
import { topics } from '../protocol/topics.js'
import { until } from './helpers/until.js'

const TS = 1_763_700_000_000
/** Taveuni, Fiji: a fleet spread over both sides of the ±180° meridian. */
const LAT = -16.8

/** A 1,000-drone frame on the meridian; record `bad` carries an unwrapped longitude (what an old simulator sent). */
function frame(n: number, bad: number[]): Buffer {
  const w = new BatchWriter(n, 3)
  for (let i = 0; i < n; i++) {
    const lon = bad.includes(i) ? 180.0003 : i % 2 === 0 ? 179.9995 : -179.9995
    w.push(i + 1, 1, TS, LAT + i * 1e-5, lon, 60, 15, 90, 0.8, stateCode('cruise'))
  }
  return Buffer.from(w.finish())
}

t.test('openBatch marks a bad record and keeps the other 999; decodeBatch still refuses it whole', async (t) => {
  const r = openBatch(frame(1000, [500]))
  t.equal(r.count, 1000)
  t.equal(r.badCount, 1)
  t.equal(r.valid(500), false)
  t.equal(r.badField(500), 'lon')
  t.equal(r.rejectReason(500), 'range')
  let good = 0
  for (let i = 0; i < r.count; i++) if (r.valid(i)) good++
  t.equal(good, 999)
  t.equal(r.badField(499), undefined)
  const err = t.throws(() => decodeBatch(frame(1000, [500])), 'all or nothing for tools that ask for it') as BatchError
  t.match(err, { reason: 'record', field: 'records[500].lon' })
  // A bad state is a type error, as in JSON telemetry.
  const b = frame(3, [])
  b.writeUInt8(200, HEADER_BYTES + RECORD_BYTES + 34)
  t.equal(openBatch(b).rejectReason(1), 'type')
  // Every record fine: no marks at all.
  const ok = openBatch(frame(10, []))
  t.equal(ok.badCount, 0)
  t.ok(Array.from({ length: 10 }, (_, i) => ok.valid(i)).every(Boolean))
})

t.test('both codecs carry positions on the meridian and near the pole exactly, and name 180° as -180°', async (t) => {
  const cases: Array<[number, number]> = [
    [LAT, 179.99999999],
    [LAT, -179.99999999],
    [LAT, -180],
    [67.5, 179.5],
    [89.99999, 12.3456789],
    [-89.99999, -45],
  ]
  const w = new BatchWriter(8)
  for (const [i, [lat, lon]] of cases.entries()) w.push(i + 1, 1, TS, lat, lon, 60, 15, 359.99, 0.8, stateCode('cruise'))
  w.push(99, 1, TS, LAT, 180, 60, 15, 0, 0.8, stateCode('cruise'))
  const r = decodeBatch(w.finish())
  for (const [i, [lat, lon]] of cases.entries()) t.same([r.lat(i), r.lon(i)], [lat, lon], `batch: ${lat}, ${lon}`)
  t.equal(r.lon(cases.length), -180, 'batch: 180° reads as -180°')
  for (const [lat, lon] of cases) {
    const s: TelemetrySample = { droneId: 'd-1', seq: 1, ts: TS, lat, lon, alt: 60, speed: 15, heading: 90, battery: 0.8, state: 'cruise' }
    t.same(decodeTelemetryJson(encodeTelemetryJson(s)), s, `JSON: ${lat}, ${lon}`)
  }
  const s180 = decodeTelemetryJson(
    JSON.stringify({ droneId: 'd-1', seq: 1, ts: TS, lat: LAT, lon: 180, alt: 60, speed: 15, heading: 90, battery: 0.8, state: 'cruise' }),
  )
  t.equal(s180.lon, -180, 'JSON: 180° reads as -180°')
})

t.test('the engine applies the 999 good records of a frame with one bad one, and counts that one by reason', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const engineClient = await connectAsync(broker.url)
  const sim = await connectAsync(broker.url)
  t.teardown(async () => {
    await engineClient.endAsync()
    await sim.endAsync()
  })
  const T = topics('bad-record-test')
  const e = await startMqttEngine({ mqtt: engineClient, topics: T, profile: DEFAULT_PROFILE, depots: [], clockTickMs: 0 })
  t.teardown(() => e.close())
  await sim.publishAsync(T.telemetryBatch(3), frame(1000, [500]), { qos: 1 })
  const stats = await until(
    () => {
      const s = e.engine.stats()
      // A frame is handled in one go: once anything is counted, all of it is.
      return s.telemetryReceived > 0 || Object.values(s.telemetryRejected).some((n) => n > 0) ? s : undefined
    },
    10_000,
    'the frame to be applied',
  )
  t.equal(stats.telemetryReceived, 999, 'the other 999 records applied')
  t.equal(stats.telemetryRejected.range, 1, 'the bad one counted as out of range')
  t.equal(stats.telemetryRejected.malformed, 0, 'the frame itself was fine')
  t.equal(e.engine.drone('d-501'), undefined, 'the drone of the bad record is not registered from it')
  t.match(e.engine.drone('d-2'), { lon: -179.9995 }, 'drones east of the meridian are tracked')
  t.match(e.engine.drone('d-1'), { lon: 179.9995 }, 'and west of it')
})
