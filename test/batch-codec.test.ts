import t from 'tap'
import { BatchError, BatchWriter, decodeBatch, HEADER_BYTES, RECORD_BYTES, stateCode } from '../protocol/batchCodec.js'
import { DRONE_STATES, type TelemetrySample } from '../protocol/telemetry.js'
import { createRng } from '../sim/random.js'

function sampleOf(i: number): TelemetrySample {
  return {
    droneId: `d-${i + 1}`,
    seq: 1000 + i,
    ts: 1_763_700_000_000 + i,
    lat: 47.6 + i * 1e-4,
    lon: -122.3 - i * 1e-4,
    alt: 60.5,
    speed: 15.25,
    heading: (i * 37.37) % 360,
    battery: 0.75,
    state: DRONE_STATES[i % DRONE_STATES.length]!,
  }
}

function frameOf(samples: TelemetrySample[], shard = 7): Buffer {
  const w = new BatchWriter(2, shard) // small on purpose: it must grow
  for (const s of samples) {
    w.push(Number(s.droneId.slice(2)), s.seq, s.ts, s.lat, s.lon, s.alt, s.speed, s.heading, s.battery, stateCode(s.state))
  }
  return Buffer.from(w.finish())
}

t.test('a frame round-trips every field', async (t) => {
  const samples = Array.from({ length: 25 }, (_, i) => sampleOf(i))
  const frame = frameOf(samples)
  t.equal(frame.byteLength, HEADER_BYTES + 25 * RECORD_BYTES)
  const r = decodeBatch(frame)
  t.equal(r.count, 25)
  t.equal(r.shard, 7)
  for (let i = 0; i < r.count; i++) {
    const got = r.sample(i)
    const want = samples[i]!
    t.same({ ...got, heading: Math.round(got.heading * 100) }, { ...want, heading: Math.round(want.heading * 100) }, `record ${i}`)
  }
})

t.test('frames are read in place at any byte offset', async (t) => {
  const frame = frameOf([sampleOf(0), sampleOf(1)])
  const unaligned = Buffer.alloc(frame.byteLength + 3)
  frame.copy(unaligned, 3)
  const r = decodeBatch(unaligned.subarray(3))
  t.equal(r.lat(1), sampleOf(1).lat)
})

t.test('a truncated or corrupt frame is rejected whole, naming why', async (t) => {
  const good = frameOf([sampleOf(0), sampleOf(1), sampleOf(2), sampleOf(3)])
  const cases: Array<[string, Buffer, string, RegExp]> = [
    ['one byte short', good.subarray(0, good.byteLength - 1), 'truncated', /but the frame has/],
    ['only a partial header', good.subarray(0, 10), 'truncated', /shorter than its 16-byte header/],
    ['an extra byte', Buffer.concat([good, Buffer.from([0])]), 'truncated', /4 records/],
    ['wrong magic', Buffer.from(good).fill(0, 0, 2), 'magic', /not a telemetry batch/],
    [
      'a future version',
      (() => {
        const b = Buffer.from(good)
        b[2] = 9
        return b
      })(),
      'version',
      /version 9/,
    ],
  ]
  for (const [name, frame, reason, message] of cases) {
    const err = t.throws(() => decodeBatch(frame), name) as BatchError
    t.equal(err.reason, reason, name)
    t.match(err.message, message, name)
    t.equal(err.code, 'DF_TELEMETRY_INVALID')
  }
  const nan = Buffer.from(good)
  nan.writeDoubleLE(Number.NaN, HEADER_BYTES + 2 * RECORD_BYTES + 8)
  const err = t.throws(() => decodeBatch(nan)) as BatchError
  t.equal(err.reason, 'record')
  t.equal(err.field, 'records[2].lat', 'names the record and the field')
  const battery = Buffer.from(good)
  battery.writeFloatLE(1.5, HEADER_BYTES + RECORD_BYTES + 36)
  t.equal((t.throws(() => decodeBatch(battery)) as BatchError).field, 'records[1].battery')
})

t.test('random corruption never escapes as anything but a BatchError', async (t) => {
  const rng = createRng(1, 'fuzz')
  const good = frameOf(Array.from({ length: 8 }, (_, i) => sampleOf(i)))
  let rejected = 0
  for (let k = 0; k < 2000; k++) {
    const b = Buffer.from(good.subarray(0, Math.floor(rng() * (good.byteLength + 1))))
    for (let f = 0; f < 3; f++) if (b.byteLength) b[Math.floor(rng() * b.byteLength)] = Math.floor(rng() * 256)
    try {
      const r = decodeBatch(b)
      for (let i = 0; i < r.count; i++) r.sample(i)
    } catch (err) {
      if (!(err instanceof BatchError)) throw err
      rejected++
    }
  }
  t.ok(rejected > 1000, `most corrupted frames are rejected (${rejected} of 2000)`)
})
