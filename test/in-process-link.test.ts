import { createServer, type AddressInfo } from 'node:net'
import { Aedes } from 'aedes'
import { connectAsync } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { InProcessLink } from '../broker/InProcessLink.js'
import { until } from './helpers/until.js'

t.test('an in-process link takes messages from network clients and publishes to them, through the broker', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const client = await connectAsync(broker.url)
  t.teardown(() => client.endAsync())
  const link = new InProcessLink(broker.aedes)
  const got: Array<[string, string]> = []
  link.on('message', (topic, payload) => {
    t.ok(Buffer.isBuffer(payload), 'payloads arrive as Buffers')
    got.push([topic, payload.toString()])
  })
  await link.subscribeAsync({ 'in/+': { qos: 0 } })
  t.ok(link.connected)

  await client.publishAsync('in/a', 'one', { qos: 1 })
  await client.publishAsync('other/a', 'not for the link', { qos: 0 })
  await client.publishAsync('in/b', 'two', { qos: 0 })
  await until(() => (got.length >= 2 ? true : undefined))
  t.same(
    got,
    [
      ['in/a', 'one'],
      ['in/b', 'two'],
    ],
    'matching topics only, in order',
  )

  const heard: string[] = []
  client.on('message', (_topic, payload) => heard.push(payload.toString()))
  await client.subscribeAsync({ 'out/#': { qos: 1 } })
  await link.publishAsync('out/x', 'from the engine', { qos: 1 })
  await link.publishAsync('out/y', Buffer.from('bytes too'), { qos: 0 })
  await until(() => (heard.length >= 2 ? true : undefined))
  t.same(heard, ['from the engine', 'bytes too'])

  // A marker after the message: the broker forwards one client's publishes in order, so once the marker is in, in/c would be too.
  await link.subscribeAsync({ 'marker/+': { qos: 1 } })
  await link.unsubscribeAsync(['in/+'])
  await client.publishAsync('in/c', 'after unsubscribing', { qos: 1 })
  await client.publishAsync('marker/x', 'marker', { qos: 1 })
  await until(() => (got.some(([topic]) => topic === 'marker/x') ? true : undefined), 10_000, 'the marker')
  t.same(
    got.map(([topic]) => topic),
    ['in/a', 'in/b', 'marker/x'],
    'nothing arrives after unsubscribing',
  )
  await link.end()
  t.notOk(link.connected, 'an ended link says it is not connected')
})

t.test('a listener that throws does not stop the broker or the other listeners', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const link = new InProcessLink(broker.aedes)
  let calls = 0
  link.on('message', () => {
    throw new Error('listener bug')
  })
  link.on('message', () => {
    calls++
  })
  await link.subscribeAsync({ 'x/#': { qos: 0 } })
  await link.publishAsync('x/1', 'a', { qos: 0 })
  await link.publishAsync('x/2', 'b', { qos: 1 })
  await until(() => (calls === 2 ? true : undefined))
  t.equal(calls, 2)
})

// mqemitter queues messages once 100 are in flight; when a slow network
// subscriber frees it, a queue of messages whose only subscriber is the link
// must drain without growing the stack (it overflowed when the link
// finished each message synchronously).
t.test('a long queue behind a slow subscriber drains without overflowing the stack', async (t) => {
  // aedes as it comes (100 messages in flight, then a queue), not as the embedded broker sets it up.
  const aedes = await Aedes.createBroker()
  const server = createServer((socket) => aedes.handle(socket))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(async () => {
    await new Promise<void>((r) => aedes.close(() => r()))
    await new Promise<void>((r) => server.close(() => r()))
  })
  const broker = { aedes, url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}` }
  const slow = await connectAsync(broker.url)
  t.teardown(() => slow.endAsync())
  await slow.subscribeAsync({ 'slow/#': { qos: 0 } })
  const link = new InProcessLink(broker.aedes)
  let received = 0
  link.on('message', (topic) => {
    if (topic.startsWith('fast/')) received++
  })
  await link.subscribeAsync({ 'fast/#': { qos: 0 } })

  slow.stream.pause() // its socket fills, aedes waits for 'drain', deliveries to it stay in flight
  const big = Buffer.alloc(64 * 1024)
  for (let i = 0; i < 400; i++) link.publish('slow/x', big, { qos: 0 })
  const N = 30_000
  for (let i = 0; i < N; i++) link.publish('fast/x', 'p', { qos: 0 })
  // Time passes on purpose: what is checked is that the fast messages do NOT all get through while the slow one stalls.
  await new Promise((r) => setTimeout(r, 100))
  t.ok(received < N, `the fast messages queued behind the slow subscriber (${received} of ${N} delivered so far)`)
  slow.stream.resume()
  await until(() => (received === N ? true : undefined), 20_000)
  t.equal(received, N, 'every queued message reached the link')
})

// aedes#994: a QoS 1 message followed by a QoS 0 one to the same subscriber
// arrived second and was dropped as a duplicate. A delivery event followed
// by its tracking message is exactly that.
t.test('a QoS 1 message followed by a QoS 0 one both reach a subscriber of both, in order', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const observer = await connectAsync(broker.url)
  t.teardown(() => observer.endAsync())
  const heard: string[] = []
  observer.on('message', (topic) => heard.push(topic))
  await observer.subscribeAsync({ 'd/+/events': { qos: 1 }, 'd/+/tracking': { qos: 0 } })
  const link = new InProcessLink(broker.aedes)
  for (let i = 0; i < 20; i++) {
    link.publish(`d/${i}/events`, 'event', { qos: 1 })
    link.publish(`d/${i}/tracking`, 'tracking', { qos: 0 })
  }
  await until(() => (heard.length >= 40 ? true : undefined), 5000).catch(() => undefined)
  t.same(heard, Array.from({ length: 20 }, (_, i) => [`d/${i}/events`, `d/${i}/tracking`]).flat())
})
