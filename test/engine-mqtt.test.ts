import { connectAsync } from 'mqtt'
import t from 'tap'
import { startMqttEngine } from '../engine/mqttEngine.js'
import { startEmbeddedBroker } from '../gateway/embeddedBroker.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics } from '../protocol/topics.js'
import { until } from './engine-harness.js'

const T = topics('lag-test')
const TS = 1_763_700_000_000

t.test('lagMs is the adapter\'s wall time at processing minus the sample\'s event time', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const engineClient = await connectAsync(broker.url)
  const drone = await connectAsync(broker.url)
  t.teardown(async () => { await engineClient.endAsync(); await drone.endAsync() })
  let wall = TS + 250
  const e = await startMqttEngine({ mqtt: engineClient, topics: T, profile: DEFAULT_PROFILE, depots: [], now: () => wall })
  t.teardown(() => e.close())
  t.equal(e.engine.stats().lagMs, 0, 'zero before any sample')

  const sample = { droneId: 'd-1', seq: 1, ts: TS, lat: 47.6, lon: -122.3, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' }
  await drone.publishAsync(T.telemetry('d-1'), JSON.stringify(sample))
  await until(() => (e.engine.stats().telemetryReceived === 1 ? true : undefined))
  t.equal(e.engine.stats().lagMs, 250)

  wall = TS + 1000 + 40
  await drone.publishAsync(T.telemetry('d-1'), JSON.stringify({ ...sample, seq: 2, ts: TS + 1000 }))
  await until(() => (e.engine.stats().telemetryReceived === 2 ? true : undefined))
  t.equal(e.engine.stats().lagMs, 40)

  // A stale sample is not "processed": the lag stays.
  wall = TS + 9000
  await drone.publishAsync(T.telemetry('d-1'), JSON.stringify({ ...sample, seq: 1 }))
  await until(() => (e.engine.stats().telemetryReceived === 3 ? true : undefined))
  t.equal(e.engine.stats().lagMs, 40)
})
