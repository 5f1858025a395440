import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { Histogram } from 'prom-client'
import t from 'tap'
import { DeliveryBook } from '../gateway/DeliveryBook.js'
import { IngestLimiter } from '../gateway/IngestLimiter.js'
import { handleDeliveryEvent } from '../gateway/readModel/handleDeliveryEvent.js'
import { handleTracking } from '../gateway/readModel/handleTracking.js'
import type { ReadModelContext } from '../gateway/readModel/ReadModelContext.js'
import { subscribeReadModel } from '../gateway/readModel/subscribeReadModel.js'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { topics } from '../protocol/topics.js'
import type { TrackingMessage } from '../protocol/tracking.js'

const T = topics('read-model-test')
const AT = 1_763_700_000_000
const pickup = { lat: 47.6, lon: -122.3 }
const dropoff = { lat: 47.61, lon: -122.3 }
const eta = { at: AT + 600_000, p10: AT + 500_000, p90: AT + 700_000 }
const created: DeliveryEvent = { type: 'DeliveryCreated', deliveryId: 'del-1', ts: AT, pickup, dropoff, weightKg: 1, deadline: null }
const assigned = (droneId: string): DeliveryEvent => ({ type: 'DroneAssigned', deliveryId: 'del-1', ts: AT, droneId, eta })
const tracking: TrackingMessage = {
  type: 'tracking',
  deliveryId: 'del-1',
  droneId: 'd-1',
  ts: AT,
  position: { lat: 47.605, lon: -122.3, alt: 60 },
  speed: 15,
  heading: 0,
  battery: 0.9,
  droneState: 'cruise',
  status: 'HeadedToPickup',
  eta,
}
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v))

function context(book?: DeliveryBook) {
  const clock = { wall: AT }
  const now = (): number => clock.wall
  const logs: Array<{ level: number; msg: string; topic?: string }> = []
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(JSON.parse(chunk.toString()) as { level: number; msg: string })
        done()
      },
    }),
  )
  const assignmentLatency = new Histogram({ name: 'assignment_latency_test', help: 'test', buckets: [1, 10], registers: [] })
  const ctx: ReadModelContext = {
    book: book ?? new DeliveryBook({ now }),
    limiter: new IngestLimiter({ maxPending: 10, now }),
    metrics: { assignmentLatency },
    now,
    logger,
  }
  const latencies = async (): Promise<{ count: number; sum: number }> => {
    const v = (await assignmentLatency.get()).values
    return {
      count: v.find((x) => x.metricName?.endsWith('_count'))?.value ?? 0,
      sum: v.find((x) => x.metricName?.endsWith('_sum'))?.value ?? 0,
    }
  }
  return { ctx, clock, logs, latencies }
}

t.test('a delivery event releases the ingestion slot, measures the first assignment and is applied to the book', async (t) => {
  const { ctx, clock, latencies } = context()
  ctx.limiter.tryAcquire('del-1')
  ctx.book.accept({ id: 'del-1', pickup, dropoff, weightKg: 1, deadline: null })
  handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', json(created))
  t.equal(ctx.limiter.size, 0, 'DeliveryCreated frees the slot')
  clock.wall += 2500
  handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', json(assigned('d-1')))
  t.equal(ctx.book.get('del-1')?.status, 'HeadedToPickup')
  t.equal(ctx.book.get('del-1')?.droneId, 'd-1')
  t.same(await latencies(), { count: 1, sum: 2.5 }, 'from accepted to the first assignment, in seconds')
  handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', json({ type: 'DroneLost', deliveryId: 'del-1', ts: AT, droneId: 'd-1' }))
  handleDeliveryEvent(
    ctx,
    T.deliveryEvents('del-1'),
    'del-1',
    json({ type: 'DeliveryReassigned', deliveryId: 'del-1', ts: AT, fromDroneId: 'd-1', toDroneId: 'd-2' }),
  )
  handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', json(assigned('d-2')))
  t.equal((await latencies()).count, 1, 'a later assignment is not measured')
  t.same(
    ctx.book.get('del-1')?.history.map((e) => e.type),
    ['DeliveryCreated', 'DroneAssigned', 'DroneLost', 'DeliveryReassigned', 'DroneAssigned'],
  )
})

t.test('a payload that is not a delivery event for its topic is logged and dropped, not thrown', async (t) => {
  const { ctx, logs } = context()
  ctx.limiter.tryAcquire('del-1')
  for (const payload of [
    Buffer.from('{oops'),
    json({ type: 'NoSuchEvent', deliveryId: 'del-1' }),
    json({ ...created, deliveryId: 'del-2' }),
  ]) {
    t.doesNotThrow(() => handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', payload))
  }
  t.equal(ctx.book.size, 0)
  t.equal(ctx.limiter.size, 1, 'no side effect of a dropped payload')
  t.same(
    logs.map((l) => [l.level, l.msg, l.topic]),
    Array(3).fill([40, 'ignored a payload that is not a delivery event for this topic', T.deliveryEvents('del-1')]),
  )
})

t.test('tracking is applied to the book; a payload that is not tracking for its topic is logged and dropped', async (t) => {
  const { ctx, logs } = context()
  handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', json(created))
  handleTracking(ctx, T.tracking('del-1'), 'del-1', json(tracking))
  t.same(ctx.book.get('del-1')?.position, tracking.position)
  t.same(ctx.book.get('del-1')?.eta, eta)
  t.equal(ctx.book.get('del-1')?.status, 'Created', 'tracking never sets status')
  for (const payload of [Buffer.from('nope'), json({ ...tracking, deliveryId: 'del-2' })]) {
    t.doesNotThrow(() => handleTracking(ctx, T.tracking('del-1'), 'del-1', payload))
  }
  t.same(
    logs.map((l) => l.msg),
    Array(2).fill('ignored a payload that is not a tracking message for this topic'),
  )
})

t.test('a book that fails is logged as an error, never thrown', async (t) => {
  class BrokenBook extends DeliveryBook {
    override apply(): void {
      throw new Error('book broke')
    }
    override applyTracking(): void {
      throw new Error('book broke')
    }
  }
  const { ctx, logs } = context(new BrokenBook({ now: () => AT }))
  t.doesNotThrow(() => handleDeliveryEvent(ctx, T.deliveryEvents('del-1'), 'del-1', json(created)))
  t.doesNotThrow(() => handleTracking(ctx, T.tracking('del-1'), 'del-1', json(tracking)))
  t.match(logs, [
    { level: 50, msg: 'failed to apply a delivery message', topic: T.deliveryEvents('del-1'), err: { message: 'book broke' } },
    { level: 50, msg: 'failed to apply a delivery message', topic: T.tracking('del-1') },
  ])
})

/** A link without a socket: records subscriptions, delivers what the test emits. */
class FakeLink extends EventEmitter implements BrokerLink {
  connected = true
  reconnecting = false
  subscribed: Array<Record<string, { qos: 0 | 1 }>> = []
  unsubscribed: string[][] = []
  publish(): unknown {
    return undefined
  }
  async publishAsync(): Promise<unknown> {
    return undefined
  }
  async subscribeAsync(s: Record<string, { qos: 0 | 1 }>): Promise<unknown> {
    this.subscribed.push(s)
    return undefined
  }
  async unsubscribeAsync(topics: string[]): Promise<unknown> {
    this.unsubscribed.push(topics)
    return undefined
  }
}

t.test('the subscription routes events and tracking of each delivery to their handlers, and ignores other topics', async (t) => {
  const link = new FakeLink()
  const { ctx, logs } = context()
  const sub = await subscribeReadModel(link, T, ctx)
  t.same(link.subscribed, [{ [T.deliveryEventsAll]: { qos: 1 }, [T.trackingAll]: { qos: 0 } }])
  link.emit('message', T.deliveryEvents('del-1'), json(created))
  link.emit('message', T.tracking('del-1'), json(tracking))
  link.emit('message', `${T.deliveryEvents('del-1')}/more`, json(assigned('d-9')))
  link.emit('message', T.telemetry('d-1'), Buffer.from('not for the gateway'))
  link.emit('message', T.tracking('del-1'), json(created)) // an event on the tracking topic is not tracking
  t.same(
    ctx.book.get('del-1')?.history.map((e) => e.type),
    ['DeliveryCreated'],
  )
  t.same(ctx.book.get('del-1')?.position, tracking.position)
  t.same(
    logs.map((l) => l.msg),
    ['ignored a payload that is not a tracking message for this topic'],
  )

  await sub.close()
  t.same(link.unsubscribed, [[T.deliveryEventsAll, T.trackingAll]])
  t.equal(link.listenerCount('message'), 0)
  link.emit('message', T.deliveryEvents('del-1'), json(assigned('d-1')))
  t.equal(ctx.book.get('del-1')?.status, 'Created', 'nothing applied after close')
})

t.test('closing a disconnected link does not wait for an unsubscribe', async (t) => {
  const link = new FakeLink()
  const sub = await subscribeReadModel(link, T, context().ctx)
  link.connected = false
  await sub.close()
  t.same(link.unsubscribed, [])
  t.equal(link.listenerCount('message'), 0)
})
