import { connectAsync } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { InProcessLink } from '../broker/InProcessLink.js'
import { until } from './helpers/until.js'

// aedes reads a publisher's next packets only once every subscriber took the
// last ones: without the drop rule the publisher, and so the fast subscriber,
// would wait for the slow one.
t.test('a subscriber that stops reading holds up nobody, and loses QoS 0 messages once too far behind', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0, maxBufferedBytes: 256 * 1024 })
  t.teardown(() => broker.close())
  const slow = await connectAsync(broker.url)
  t.teardown(() => slow.endAsync())
  let slowGot = 0
  slow.on('message', () => {
    slowGot++
  })
  await slow.subscribeAsync({ 't/#': { qos: 0 } })
  const link = new InProcessLink(broker.aedes)
  let linkGot = 0
  link.on('message', () => {
    linkGot++
  })
  await link.subscribeAsync({ 't/#': { qos: 0 } })
  const publisher = await connectAsync(broker.url)
  t.teardown(() => publisher.endAsync())

  slow.stream.pause()
  const payload = Buffer.alloc(4096)
  const N = 2000 // 8 MB in all, far past the slow subscriber's 256 KiB
  for (let i = 0; i < N; i++) publisher.publish('t/x', payload, { qos: 0 })
  await until(() => (linkGot === N ? true : undefined), 10_000, 'the fast subscriber to get every message')
  t.equal(linkGot, N, 'the fast subscriber got every message while the slow one read nothing')
  t.ok(broker.slowSubscriberDrops > 0, `messages the slow subscriber was too far behind for were dropped (${broker.slowSubscriberDrops})`)

  slow.stream.resume()
  await until(() => (slowGot + broker.slowSubscriberDrops >= N ? true : undefined), 10_000, 'the slow subscriber to catch up')
  t.equal(slowGot + broker.slowSubscriberDrops, N, 'every message was either delivered or counted as dropped')
  const before = slowGot
  await publisher.publishAsync('t/y', 'after catching up', { qos: 0 })
  await until(() => (slowGot > before ? true : undefined), 5000, 'a message after catching up')
  t.pass('once caught up, it gets messages again')
})
