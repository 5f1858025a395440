import { Piscina } from 'piscina'
import t from 'tap'
import { BatchWriter, decodeBatch, HEADER_BYTES, RECORD_BYTES, stateCode, type BatchReader } from '../protocol/batchCodec.js'
import { wrapLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { decodeTelemetryJson } from '../protocol/telemetry.js'
import { topics } from '../protocol/topics.js'
import { assignMission, droneState } from '../sim/flight.js'
import { Flag, FleetState, Phase, WaypointKind } from '../sim/FleetState.js'
import { FramePublisher, type TelemetryFaults } from '../sim/FramePublisher.js'
import { fleetShards, SHARD_DRONES, shardCount, shardOf, shardRange, shardSlices } from '../sim/shards.js'
import { encodeStep, type StepResult, type StepTask } from '../sim/stepWorker.js'
import { CALM } from '../sim/wind.js'

const T = topics()
const T0 = Date.UTC(2026, 0, 5, 9)
const HOME = { lat: 47.6, lon: -122.33 }

t.test('shards are fixed blocks of drones; workers get whole shards, whatever their number', async (t) => {
  t.equal(SHARD_DRONES, 1000)
  t.equal(shardCount(10_000), 10)
  t.equal(shardCount(10_001), 11)
  t.equal(shardCount(0), 0)
  t.same([shardOf(0), shardOf(999), shardOf(1000)], [0, 0, 1])
  t.same(shardRange(10, 10_500), [10_000, 10_500], 'the last shard is short')
  const cases: Array<[n: number, parts: number, per: number]> = [
    [0, 2, 10],
    [1, 4, 10],
    [9, 4, 10],
    [10, 4, 10],
    [25, 2, 10],
    [25, 4, 10],
    [100, 3, 10],
    [10_000, 2, 1000],
    [10_000, 4, 1000],
    [10_500, 4, 1000],
    [3000, 8, 1000],
    [7, 0, 10],
  ]
  for (const [n, parts, per] of cases) {
    const name = `n=${n}, parts=${parts}, ${per} a shard`
    const r = shardSlices(n, parts, per)
    t.ok(r.length >= 1 && r.length <= Math.max(1, parts), `${name}: ${r.length} slices`)
    t.equal(r[0]![0], 0, `${name}: starts at 0`)
    t.equal(r.at(-1)![1], n, `${name}: ends at n`)
    t.ok(
      r.every(([from, to], k) => to >= from && (k === 0 || from === r[k - 1]![1])),
      `${name}: contiguous`,
    )
    t.ok(
      r.every(([from, to]) => from % per === 0 && (to % per === 0 || to === n)),
      `${name}: whole shards ${JSON.stringify(r)}`,
    )
    if (n > 0) {
      const shards = r.map(([from, to]) => shardCount(to - from, per))
      t.ok(Math.max(...shards) - Math.min(...shards) <= 1 && Math.min(...shards) >= 1, `${name}: shards per slice ${shards.join(',')}`)
    }
  }
})

/** A fleet of n drones at HOME; drone 2 flies a mission, drone 4 is silent, drone 6 holds its GPS fix, drone 7 has GPS noise. */
function fleet(n: number): FleetState {
  const f = new FleetState(n)
  for (let i = 0; i < n; i++) {
    f.lat[i] = f.fixLat[i] = HOME.lat + i * 1e-4
    f.lon[i] = f.fixLon[i] = HOME.lon
    f.battery[i] = 1 - i / 100
    f.phase[i] = Phase.Ground
  }
  assignMission(f, 2, [{ lat: HOME.lat + 0.01, lon: HOME.lon, kind: WaypointKind.Depot }], 0, DEFAULT_PROFILE)
  f.flags[4] = f.flags[4]! | Flag.Silent
  f.flags[6] = f.flags[6]! | Flag.GpsHold
  f.fixLat[6] = 1
  f.fixLon[6] = 2
  f.gpsSigmaM[7] = 10
  return f
}

/** The task of drones [from, to) in shards of 10 by index, as a fleet of one region is cut. */
const task = (f: FleetState, from: number, to: number, t: number): StepTask => ({
  buffer: f.buffer,
  n: f.n,
  shards: fleetShards([{ region: 'default', from: 0, to: f.n }], 10)
    .filter((sh) => sh.from >= from && sh.to <= to)
    .map((sh) => [sh.from, sh.to, sh.id] as const),
  dtS: 1,
  t,
  profile: DEFAULT_PROFILE,
  wind: CALM,
  seed: 7,
})

const bytes = (frames: Uint8Array[]): string[] => frames.map((fr) => Buffer.from(fr.buffer, fr.byteOffset, fr.byteLength).toString('hex'))

t.test('the worker encodes one frame per shard of its slice, in drone order, as the fleet state says', async (t) => {
  const f = fleet(25)
  const r = encodeStep(task(f, 10, 25, T0 + 1000))
  t.equal(r.frames.length, 2, 'shards 1 and 2')
  t.ok(r.stepMs >= 0 && r.encodeMs >= 0)
  const [a, b] = r.frames.map((fr) => decodeBatch(fr)) as [BatchReader, BatchReader]
  t.same([a.shard, a.count, b.shard, b.count], [1, 10, 2, 5])
  for (const [r, from] of [
    [a, 10],
    [b, 20],
  ] as const) {
    for (let j = 0; j < r.count; j++) {
      const i = from + j
      t.same(
        r.sample(j),
        {
          droneId: `d-${i + 1}`,
          seq: 1,
          ts: T0 + 1000,
          lat: f.lat[i],
          lon: f.lon[i],
          alt: 0,
          speed: 0,
          heading: 0,
          battery: Math.fround(f.battery[i]!),
          state: droneState(f, i),
        },
        `record ${j} is drone d-${i + 1}`,
      )
    }
  }
  t.equal(f.seq[9], 0, 'drones outside the slice are not stepped')

  const g = fleet(10)
  const s = decodeBatch(encodeStep(task(g, 0, 10, T0 + 1000)).frames[0]!)
  t.equal(s.count, 9, 'the silent drone has no record')
  const ids = Array.from({ length: s.count }, (_, j) => s.drone(j))
  t.same(ids, [1, 2, 3, 4, 6, 7, 8, 9, 10], 'drone numbers are index + 1, in order')
  t.equal(g.seq[4], 0, "a silent drone's seq stands still")
  const two = s.sample(2)
  t.equal(two.state, 'takeoff')
  t.equal(two.alt, Math.fround(g.alt[2]!))
  t.ok(two.alt > 0, 'the flying drone climbed')
  t.same([s.lat(5), s.lon(5)], [1, 2], 'a GPS dropout reports the held fix')
  const noisy = haversine(s.lat(6), s.lon(6), g.lat[7]!, g.lon[7]!)
  t.ok(noisy > 0 && noisy < 60, `GPS noise moves the report ${noisy.toFixed(1)} m, not the drone`)
  t.same([g.fixLat[7], g.fixLon[7]], [s.lat(6), s.lon(6)], 'and is the fix held if the GPS drops out next')
  t.equal(s.state(0), 'idle')
  t.equal(stateCode(s.state(0)), 0)
})

t.test('the frames are the same bytes whatever the slicing', async (t) => {
  const one = fleet(25)
  const two = fleet(25)
  for (let tick = 1; tick <= 30; tick++) {
    const whole = encodeStep(task(one, 0, 25, T0 + tick * 1000)).frames
    const split = [...encodeStep(task(two, 0, 10, T0 + tick * 1000)).frames, ...encodeStep(task(two, 10, 25, T0 + tick * 1000)).frames]
    if (tick % 10 === 0) t.same(bytes(split), bytes(whole), `tick ${tick}`)
  }
  t.same(Buffer.from(two.buffer), Buffer.from(one.buffer), 'and the fleets are alike')
})

t.test('through piscina the frames arrive in the main thread, transferred', async (t) => {
  const pool = new Piscina<StepTask, StepResult>({
    filename: new URL('../sim/stepWorker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: 1,
  })
  t.teardown(() => pool.destroy())
  const f = fleet(25)
  const r = await pool.run(task(f, 0, 25, T0 + 1000))
  t.equal(r.frames.length, 3)
  t.ok(r.frames.every((fr) => fr instanceof Uint8Array))
  t.same(
    r.frames.map((fr) => decodeBatch(fr).count),
    [9, 10, 5],
  )
  t.equal(f.seq[24], 1, 'the worker stepped the shared fleet')
  t.ok(typeof r.stepMs === 'number' && typeof r.encodeMs === 'number')
})

function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(a))
}

/** A frame of drones `numbers` (seq = 10 × number) for shard `shard`. */
function frame(shard: number, numbers: number[], ts = T0): Uint8Array {
  const w = new BatchWriter(numbers.length, shard)
  for (const n of numbers) w.push(n, n * 10, ts, 47.6 + n * 1e-4, -122.33, 60, 15, 90, 0.5, stateCode('cruise'))
  return Uint8Array.from(w.finish())
}

interface Sent {
  topic: string
  payload: Buffer | string
}

/** Faults that give drone index i the fate `fates[i]` (0 when absent), and count what they are asked. */
function faults(fates: Record<number, number> = {}): TelemetryFaults & { asked: Array<[number, number]>; notSentCount: number } {
  return {
    count: 1,
    asked: [],
    notSentCount: 0,
    telemetryFate(i, seq) {
      this.asked.push([i, seq])
      return fates[i] ?? 0
    },
    notSent() {
      this.notSentCount++
    },
  }
}

function recorder(): { sent: Sent[]; publish: (topic: string, payload: Buffer | string) => void } {
  const sent: Sent[] = []
  return { sent, publish: (topic, payload) => sent.push({ topic, payload }) }
}

/** What was published, readably: a frame as `shard:[numbers]`, a JSON sample as `droneId(refused)`; a topic that does not fit shows as `?`. */
function show(sent: Sent[]): string[] {
  return sent.map(({ topic, payload }) => {
    if (typeof payload === 'string') {
      const s = decodeTelemetryJson(payload)
      return `${s.droneId}(${s.refused ?? ''})${topic === T.telemetry(s.droneId) ? '' : '?'}`
    }
    const r = decodeBatch(payload)
    return `${r.shard}:[${Array.from({ length: r.count }, (_, j) => r.drone(j)).join(',')}]${topic === T.telemetryBatch(r.shard) ? '' : '?'}`
  })
}

const none = new Map<number, string>()

t.test('fast path: with nothing to change, each worker frame is published as it is', async (t) => {
  const out = recorder()
  const p = new FramePublisher(
    () => T,
    {
      count: 0,
      telemetryFate: () => {
        throw new Error('no faults, no fates')
      },
      notSent: () => undefined,
    },
    out.publish,
  )
  const frames = [frame(0, [1, 2, 3]), frame(1, [11, 12]), frame(2, [])]
  t.equal(p.tick(frames, T0, false, none), 5, 'every record counts as a sample')
  t.same(show(out.sent), ['0:[1,2,3]', '1:[11,12]'], 'one frame per shard; an empty one is not sent')
  t.same(
    out.sent.map((s) => (s.payload as Buffer).toString('hex')),
    frames.slice(0, 2).map((fr) => Buffer.from(fr).toString('hex')),
    'byte for byte',
  )

  // Faults that leave these drones alone are asked about each sample (they count noise and dropouts), and change nothing.
  const f = faults()
  const out2 = recorder()
  const q = new FramePublisher(() => T, f, out2.publish)
  t.equal(q.tick(frames, T0, false, none), 5)
  t.same(
    f.asked,
    [
      [0, 10],
      [1, 20],
      [2, 30],
      [10, 110],
      [11, 120],
    ],
    'asked by drone index and seq',
  )
  t.same(
    out2.sent.map((s) => (s.payload as Buffer).toString('hex')),
    out.sent.map((s) => (s.payload as Buffer).toString('hex')),
  )
})

t.test("a dropped sample is left out of its shard's rebuilt frame", async (t) => {
  const out = recorder()
  const p = new FramePublisher(() => T, faults({ 1: -1, 11: -1 }), out.publish)
  t.equal(p.tick([frame(0, [1, 2, 3]), frame(1, [11, 12]), frame(2, [21])], T0, false, none), 4)
  t.same(show(out.sent), ['0:[1,3]', '1:[11]', '2:[21]'])
  const r = decodeBatch(out.sent[0]!.payload as Buffer)
  t.same(r.sample(1), decodeBatch(frame(0, [1, 2, 3])).sample(2), 'records are copied whole')
  t.equal(p.pending, 0)
})

t.test("a delayed sample goes out in a later frame when due, in due order, after that tick's own frames", async (t) => {
  const out = recorder()
  // Drone index 1 is 3 s late, index 2 and 10 are 2 s late.
  const p = new FramePublisher(() => T, faults({ 1: 3000, 2: 2000, 10: 2000 }), out.publish)
  const tick = (k: number): string[] => {
    out.sent.length = 0
    const n = p.tick([frame(0, [1, 2, 3], T0 + k * 1000), frame(1, [11, 12], T0 + k * 1000)], T0 + k * 1000, false, none)
    t.equal(
      n,
      out.sent.reduce((s, x) => s + (typeof x.payload === 'string' ? 1 : decodeBatch(x.payload).count), 0),
      `tick ${k}: the count is what went out`,
    )
    return show(out.sent)
  }
  t.same(tick(0), ['0:[1]', '1:[12]'])
  t.equal(p.pending, 3)
  t.same(tick(1), ['0:[1]', '1:[12]'])
  t.same(tick(2), ['0:[1]', '1:[12]', '0:[3]', '1:[11]'], "due at T0+2s: index 2 then 10, each in its own shard's frame")
  t.same(
    tick(3),
    ['0:[1]', '1:[12]', '0:[2,3]', '1:[11]'],
    'index 1 (3 s) from tick 0 before index 2 (2 s) from tick 1, same shard, one frame',
  )
  const late = decodeBatch(out.sent[2]!.payload as Buffer)
  t.same([late.ts(0), late.ts(1)], [T0, T0 + 1000], 'the delayed records keep their own time')
})

t.test('a drone reporting a refusal is sent as JSON with `refused`, between the records around it', async (t) => {
  const out = recorder()
  const p = new FramePublisher(() => T, { count: 0, telemetryFate: () => 0, notSent: () => undefined }, out.publish)
  const refused = new Map([
    [1, 'del-9'],
    [40, 'del-1'],
  ])
  t.equal(p.tick([frame(0, [1, 2, 3]), frame(1, [11, 12])], T0, false, refused), 5)
  t.same(show(out.sent), ['0:[1]', 'd-2(del-9)', '0:[3]', '1:[11,12]'])
  const json = decodeTelemetryJson(out.sent[1]!.payload as string)
  t.same(json, { ...decodeBatch(frame(0, [2])).sample(0), refused: 'del-9' }, "the record's values, and the refusal")

  out.sent.length = 0
  const q = new FramePublisher(() => T, faults({ 1: 1000 }), out.publish)
  q.tick([frame(0, [1, 2, 3])], T0, false, refused)
  t.same(show(out.sent), ['0:[1,3]'])
  out.sent.length = 0
  q.tick([frame(0, [1, 3])], T0 + 1000, false, none)
  t.same(show(out.sent), ['0:[1,3]', 'd-2(del-9)'], 'a delayed refusal is still JSON')
})

t.test('while the broker is down, samples are counted as not sent; delays fall due into the outage too', async (t) => {
  const out = recorder()
  const f = faults({ 0: -1, 1: 1000 })
  const p = new FramePublisher(() => T, f, out.publish)
  t.equal(p.tick([frame(0, [1, 2, 3]), frame(1, [11])], T0, true, new Map([[2, 'del-3']])), 0)
  t.equal(out.sent.length, 0)
  t.equal(f.notSentCount, 2, 'd-3 (refusing) and d-11; d-1 was dropped, d-2 delayed')
  t.equal(p.tick([], T0 + 1000, true, none), 0)
  t.equal(f.notSentCount, 3, 'd-2 fell due during the outage')
  t.equal(p.pending, 0)
  t.equal(p.tick([frame(0, [1, 2, 3])], T0 + 2000, false, none), 1, 'back up: d-3 goes out again (d-1 dropped, d-2 delayed)')
})

t.test('BatchWriter.pushRecord copies an encoded record whole', async (t) => {
  const src = frame(3, [5, 6])
  const w = new BatchWriter(1, 9)
  w.pushRecord(src.subarray(HEADER_BYTES + RECORD_BYTES, HEADER_BYTES + 2 * RECORD_BYTES))
  w.pushRecord(src.subarray(HEADER_BYTES, HEADER_BYTES + RECORD_BYTES))
  const r = decodeBatch(w.finish())
  t.same([r.shard, r.count, r.drone(0), r.drone(1)], [9, 2, 6, 5], "grows past its capacity; the header is the writer's")
  t.same(r.sample(0), decodeBatch(src).sample(1))
  t.throws(() => w.pushRecord(new Uint8Array(10)), RangeError)
})

t.test('GPS noise next to the antimeridian wraps the longitude instead of spoiling the frame', async (t) => {
  const f = new FleetState(10)
  for (let i = 0; i < 10; i++) {
    f.lat[i] = f.fixLat[i] = -16.5
    f.lon[i] = f.fixLon[i] = 179.99999 // Fiji, a metre from the antimeridian
    f.battery[i] = 1
    f.phase[i] = Phase.Ground
    f.gpsSigmaM[i] = 50
  }
  for (let tick = 1; tick <= 20; tick++) {
    const frame = encodeStep(task(f, 0, 10, T0 + tick * 1000)).frames[0]!
    const r = decodeBatch(frame) // throws on a longitude past 180
    for (let j = 0; j < r.count; j++) t.ok(r.lon(j) >= -180 && r.lon(j) < 180, `tick ${tick}: ${r.lon(j)}`)
  }
  t.equal(wrapLon(180.5), -179.5)
  t.equal(wrapLon(-180.25), 179.75)
  t.equal(wrapLon(540), -180)
  t.equal(wrapLon(12.5), 12.5)
})
