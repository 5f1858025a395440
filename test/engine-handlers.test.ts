import { pino } from 'pino'
import { Writable } from 'node:stream'
import t from 'tap'
import { Engine } from '../engine/Engine.js'
import type { EngineSink } from '../engine/EngineSink.js'
import { BatchScratch } from '../engine/mqtt/BatchScratch.js'
import { handleBatchFrame } from '../engine/mqtt/handleBatchFrame.js'
import { acceptSample } from '../engine/mqtt/acceptSample.js'
import { handleClock } from '../engine/mqtt/handleClock.js'
import { handleProbe } from '../engine/mqtt/handleProbe.js'
import { LagProbe } from '../engine/mqtt/LagProbe.js'
import { handleRequest } from '../engine/mqtt/handleRequest.js'
import { handleTelemetry } from '../engine/mqtt/handleTelemetry.js'
import type { HandlerContext } from '../engine/mqtt/HandlerContext.js'
import { IdleClock } from '../engine/mqtt/IdleClock.js'
import { TopicRouter } from '../engine/mqtt/TopicRouter.js'
import { BatchWriter, stateCode } from '../protocol/batchCodec.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import type { TelemetrySample } from '../protocol/telemetry.js'
import { topics } from '../protocol/topics.js'

const T = topics('handlers-test')
const TS = 1_763_700_000_000
const at = { lat: 47.6, lon: -122.3 }

/** A handler context around a real engine, with a settable wall clock and everything it publishes, observes and logs recorded. */
function context(o: { observe?: boolean; sink?: Partial<EngineSink> } = {}) {
  const clock = { wall: TS + 250 }
  const now = (): number => clock.wall
  const events: DeliveryEvent[] = []
  const published: Array<{ topic: string; body: unknown; qos: 0 | 1 }> = []
  const observed: Array<{ sample: TelemetrySample; copy: TelemetrySample; at: number }> = []
  const logs: Array<{ level: number; msg: string }> = []
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(JSON.parse(chunk.toString()) as { level: number; msg: string })
        done()
      },
    }),
  )
  const engine = new Engine({
    profile: DEFAULT_PROFILE,
    depots: [at],
    sink: { command: () => undefined, event: (e) => events.push(e), tracking: () => undefined, ...o.sink },
  })
  const ctx: HandlerContext = {
    engine,
    topics: T,
    now,
    publish: (topic, body, qos) => published.push({ topic, body, qos }),
    idleClock: new IdleClock(now, 5000),
    scratch: new BatchScratch(),
    observe: o.observe ? (sample, when) => observed.push({ sample, copy: { ...sample }, at: when }) : undefined,
    logger,
  }
  return { ctx, clock, engine, events, published, observed, logs }
}

const sample = (droneId: string, seq: number, ts = TS): TelemetrySample => ({
  droneId,
  seq,
  ts,
  lat: at.lat,
  lon: at.lon,
  alt: 0,
  speed: 0,
  heading: 0,
  battery: 1,
  state: 'idle',
})
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v))

function frame(records: Array<[drone: number, seq: number, ts: number]>): Buffer {
  const w = new BatchWriter(records.length)
  for (const [drone, seq, ts] of records) w.push(drone, seq, ts, at.lat, at.lon, 0, 0, 0, 1, stateCode('idle'))
  return Buffer.from(w.finish())
}

t.test('the router sends each subscribed topic to its handler and ignores the rest', async (t) => {
  const r = new TopicRouter(T)
  t.equal(r.route(T.telemetry('d-1')), handleTelemetry)
  t.equal(r.route(T.telemetryBatch(3)), handleBatchFrame)
  t.equal(r.route(T.requests), handleRequest)
  t.equal(r.route(T.simClock), handleClock)
  t.equal(r.route(T.commands('d-1')), undefined)
  t.equal(r.route(T.deliveryEvents('del-1')), undefined)
  t.equal(r.route(T.engineWatermark), undefined)
  t.equal(r.route(topics('other').telemetry('d-1')), undefined, 'another prefix')
})

t.test('telemetry: a sample is applied, its lag recorded, the idle clock anchored and the sample observed', async (t) => {
  const { ctx, clock, engine, observed } = context({ observe: true })
  handleTelemetry(ctx, T.telemetry('d-1'), json(sample('d-1', 1)))
  t.equal(engine.stats().telemetryReceived, 1)
  // Was 250 (wall time minus the sample's event time): lag never compares the two clocks (issue 11, Time); the probe measures it.
  t.equal(engine.stats().lagMs, 0, "a sample's age is not the engine's lag")
  t.equal(engine.drone('d-1')?.seq, 1)
  t.same(
    observed.map((o) => [o.copy.droneId, o.at]),
    [['d-1', TS + 250]],
  )
  clock.wall += 1000
  t.equal(ctx.idleClock.due(), TS + 1000, 'event time follows the sample, plus wall time since')

  handleTelemetry(ctx, T.telemetry('d-1'), json(sample('d-1', 1))) // a duplicate: counted by the engine, not observed
  t.equal(engine.stats().telemetryDuplicate, 1)
  t.equal(observed.length, 1)
})

t.test('telemetry: a bad payload is counted by reason and not thrown', async (t) => {
  const { ctx, engine, observed, logs } = context({ observe: true })
  const cases: Array<[string, Buffer]> = [
    ['malformed', Buffer.from('{not json')],
    ['missing', json({ droneId: 'd-1', seq: 1 })],
    ['type', json({ ...sample('d-1', 1), lat: 'north' })],
    ['range', json({ ...sample('d-1', 1), battery: 2 })],
    ['topic', json(sample('d-2', 1))],
  ]
  for (const [reason, payload] of cases) t.doesNotThrow(() => handleTelemetry(ctx, T.telemetry('d-1'), payload), reason)
  t.same(engine.stats().telemetryRejected, { malformed: 1, missing: 1, type: 1, range: 1, topic: 1 })
  t.equal(engine.stats().telemetryReceived, 0)
  t.equal(observed.length, 0)
  t.equal(logs.filter((l) => l.level === 20).length, 5, 'each logged at debug')
  t.equal(ctx.idleClock.due(), undefined, 'no rejected sample moves the idle clock')
})

t.test('telemetry: a topic that names no drone is ignored', async (t) => {
  const { ctx, engine } = context()
  handleTelemetry(ctx, `${T.telemetry('d-1')}/extra`, json(sample('d-1', 1)))
  handleTelemetry(ctx, T.telemetry(''), json(sample('d-1', 1)))
  t.equal(engine.stats().telemetryReceived, 0)
  t.same(engine.stats().telemetryRejected, { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 })
})

t.test('batch frame: every record is applied through one reused sample and observed once the frame is done', async (t) => {
  const { ctx, clock, engine, observed } = context({ observe: true })
  handleBatchFrame(
    ctx,
    T.telemetryBatch(0),
    frame([
      [1, 1, TS],
      [2, 1, TS + 100],
      [3, 1, TS + 50],
    ]),
  )
  t.equal(engine.stats().telemetryReceived, 3)
  t.same(
    engine
      .drones()
      .map((d) => d.id)
      .sort(),
    ['d-1', 'd-2', 'd-3'],
  )
  // Was 200 ("the last record's lag, at the frame's wall time"): wall minus event time, which issue 11 (Time) rules out.
  t.equal(engine.stats().lagMs, 0, "no record's age is the engine's lag")
  t.same(
    observed.map((o) => [o.copy.droneId, o.copy.ts]),
    [
      ['d-1', TS],
      ['d-2', TS + 100],
      ['d-3', TS + 50],
    ],
  )
  t.ok(
    observed.every((o) => o.sample === observed[0]?.sample),
    'one scratch sample for every record',
  )
  clock.wall += 1000
  // Was TS + 100 + 1000 ("anchored on the newest record"): one drone's clock moved everyone's (issue 11, Time).
  t.equal(ctx.idleClock.due(), TS + 50 + 1000, "the lower median of the drones' clocks, not the newest record")

  // The engine keeps copies, not the scratch: the next frame does not change what it holds.
  observed.length = 0
  handleBatchFrame(
    ctx,
    T.telemetryBatch(0),
    frame([
      [1, 2, TS + 1000],
      [2, 1, TS + 100],
      [4, 1, TS + 1000],
    ]),
  )
  t.equal(engine.stats().telemetryDuplicate, 1)
  t.same(
    observed.map((o) => [o.copy.droneId, o.copy.seq, o.at]),
    [
      ['d-1', 2, clock.wall],
      ['d-4', 1, clock.wall],
    ],
    'the stale record is not observed',
  )
  t.equal(engine.drone('d-3')?.lastSeen, TS + 50)
  t.equal(engine.drone('d-1')?.seq, 2)
})

t.test('batch frame: a corrupt frame is dropped whole and counted once as malformed; a bad record costs only itself', async (t) => {
  const { ctx, engine, logs } = context()
  const good = frame([
    [1, 1, TS],
    [2, 1, TS],
  ])
  t.doesNotThrow(() => handleBatchFrame(ctx, T.telemetryBatch(0), good.subarray(0, good.byteLength - 5)))
  t.doesNotThrow(() => handleBatchFrame(ctx, T.telemetryBatch(0), Buffer.from('{"json":"not a frame"}')))
  t.equal(engine.stats().telemetryRejected.malformed, 2)
  t.equal(engine.stats().telemetryReceived, 0, 'no record of a corrupt frame is applied')
  t.match(
    logs.map((l) => l.msg),
    [/shorter|says/, /magic/],
  )
  const badValue = Buffer.from(good)
  badValue.writeDoubleLE(Number.NaN, 16 + 48 + 8) // record 1's latitude
  t.doesNotThrow(() => handleBatchFrame(ctx, T.telemetryBatch(0), badValue))
  t.equal(engine.stats().telemetryRejected.range, 1, 'the bad record is counted by its reason')
  t.equal(engine.stats().telemetryReceived, 1, 'the good record of that frame is applied')
  t.equal(engine.drone('d-1')?.seq, 1)
  t.equal(engine.drone('d-2'), undefined)
})

t.test('request: a request goes to the engine; one that does not decode is logged and dropped', async (t) => {
  const { ctx, engine, events, logs } = context()
  const create = { type: 'CreateDelivery', id: 'del-1', pickup: at, dropoff: { lat: 47.61, lon: -122.3 }, weightKg: 1, deadline: null }
  handleRequest(ctx, T.requests, json(create))
  t.equal(engine.delivery('del-1')?.status, 'Created')
  t.equal(events[0]?.type, 'DeliveryCreated')
  t.equal(events[0]?.ts, TS + 250, 'stamped with the wall clock before any telemetry')

  t.doesNotThrow(() => handleRequest(ctx, T.requests, Buffer.from('nonsense')))
  t.doesNotThrow(() => handleRequest(ctx, T.requests, json({ ...create, id: 'del-2', weightKg: -1 })))
  t.equal(engine.delivery('del-2'), undefined)
  t.same(logs.filter((l) => l.msg === 'ignored an undecodable request').length, 2)
  t.same(engine.stats().telemetryRejected, { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 }, 'a bad request is not bad telemetry')
})

t.test('request: an engine failure is logged as an error, never thrown', async (t) => {
  const { ctx, logs } = context({
    sink: {
      event: () => {
        throw new Error('sink broke')
      },
    },
  })
  const create = { type: 'CreateDelivery', id: 'del-1', pickup: at, dropoff: { lat: 47.61, lon: -122.3 }, weightKg: 1, deadline: null }
  t.doesNotThrow(() => handleRequest(ctx, T.requests, json(create)))
  t.match(logs, [{ level: 50, msg: 'engine failed on a message', err: { message: 'sink broke' } }])
})

t.test('clock: advances the engine, answers with a watermark, and keeps the idle clock off', async (t) => {
  const { ctx, clock, engine, published } = context()
  handleTelemetry(ctx, T.telemetry('d-1'), json(sample('d-1', 1)))
  handleClock(ctx, T.simClock, json({ t: TS + 30_000 }))
  t.equal(engine.now, TS + 30_000)
  t.same(published, [{ topic: T.engineWatermark, body: { t: TS + 30_000 }, qos: 1 }])
  clock.wall += 4000
  t.equal(ctx.idleClock.due(), undefined, 'a simulator drives the clock')
  clock.wall += 1000
  t.equal(ctx.idleClock.due(), TS + 5000, 'until it falls quiet')
})

t.test('clock: a payload that is not a clock is ignored', async (t) => {
  const { ctx, clock, engine, published } = context()
  handleTelemetry(ctx, T.telemetry('d-1'), json(sample('d-1', 1)))
  for (const bad of ['nope', '{"t":"soon"}', '{"t":null}', '[]']) t.doesNotThrow(() => handleClock(ctx, T.simClock, Buffer.from(bad)))
  t.equal(engine.now, TS)
  t.same(published, [])
  clock.wall += 250
  t.equal(ctx.idleClock.due(), TS + 250, 'and does not stop the idle clock')
})

t.test("telemetry: a sample stamped too far ahead of the engine's clock is counted as future and not applied", async (t) => {
  const { ctx, engine, observed } = context({ observe: true })
  handleClock(ctx, T.simClock, json({ t: TS, next: TS + 1000 }))
  handleTelemetry(ctx, T.telemetry('d-1'), json(sample('d-1', 1, TS + 1000)))
  handleTelemetry(ctx, T.telemetry('d-2'), json(sample('d-2', 1, TS + 180_000)))
  handleBatchFrame(
    ctx,
    T.telemetryBatch(0),
    frame([
      [3, 1, TS + 1000],
      [4, 1, TS + 180_000],
    ]),
  )
  t.same(
    engine
      .drones()
      .map((d) => d.id)
      .sort(),
    ['d-1', 'd-3'],
  )
  t.equal(engine.stats().telemetryRejected.future, 2)
  t.equal(engine.now, TS + 1000, 'the clock did not move')
  t.same(
    observed.map((o) => o.copy.droneId),
    ['d-1', 'd-3'],
  )
})

t.test("probe: the adapter's own probe, back from the broker, sets the lag in wall time", async (t) => {
  const { ctx, clock, engine } = context()
  const probe = new LagProbe(ctx.now)
  const withProbe: HandlerContext = { ...ctx, probe }
  const sent = probe.send()
  clock.wall += 35
  t.equal(new TopicRouter(T, 'probe-topic').route('probe-topic'), handleProbe)
  handleProbe(withProbe, 'probe-topic', Buffer.from(sent))
  t.equal(engine.stats().lagMs, 35)
  t.doesNotThrow(() => handleProbe(withProbe, 'probe-topic', Buffer.from('nonsense')))
  t.equal(engine.stats().lagMs, 35, 'a payload that is not a probe changes nothing')
  handleProbe(ctx, 'probe-topic', Buffer.from(sent))
  t.equal(engine.stats().lagMs, 35, 'without a probe of its own the adapter ignores one')
})

t.test('tracking: the receipt wall time of the sample being applied is noted for the tracking it causes', async (t) => {
  const { ctx, clock } = context()
  const received = { at: 0 }
  acceptSample({ ...ctx, received }, sample('d-1', 1), clock.wall)
  t.equal(received.at, TS + 250)
})
