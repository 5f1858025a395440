import { connectAsync } from 'mqtt'
import t from 'tap'
import { startMqttEngine } from '../engine/mqtt/startMqttEngine.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { topics } from '../protocol/topics.js'
import { until } from './engine-harness.js'

const T = topics('lag-test')
const TS = 1_763_700_000_000

// This test said "lagMs is the adapter's wall time at processing minus the sample's event time" and
// expected 250, 40, 40 from samples stamped 250 and 40 ms before an injected wall clock. Issue 11 (Time)
// rules that out: with a simulation dated months away from today it read months, and /readyz said 503
// for the whole run. The lag is now the engine's own probe through the broker, in wall time only.
t.test("lagMs is how long a message waits for the engine, in wall time: never wall time minus a sample's event time", async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const engineClient = await connectAsync(broker.url)
  const drone = await connectAsync(broker.url)
  t.teardown(async () => {
    await engineClient.endAsync()
    await drone.endAsync()
  })
  const e = await startMqttEngine({ mqtt: engineClient, topics: T, profile: DEFAULT_PROFILE, depots: [], lagProbeMs: 20 })
  t.teardown(() => e.close())

  let probes = 0
  drone.on('message', (topic) => {
    if (topic.startsWith(T.engineProbe(''))) probes++
  })
  await drone.subscribeAsync(T.engineProbeAll)
  // Samples stamped long before today's wall clock, as a simulation's are.
  const sample = { droneId: 'd-1', seq: 1, ts: TS, lat: 47.6, lon: -122.3, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' }
  await drone.publishAsync(T.telemetry('d-1'), JSON.stringify(sample))
  await drone.publishAsync(T.telemetry('d-1'), JSON.stringify({ ...sample, seq: 2, ts: TS + 1000 }))
  await until(
    () => (e.engine.stats().telemetryReceived === 2 && probes >= 5 ? true : undefined),
    10_000,
    'samples and probes through the broker',
  )
  t.ok(Date.now() - TS > 86_400_000, 'the samples are over a day old by the wall clock')
  t.ok((e.engine.stats().lagMs ?? Infinity) < 5000, `yet the engine is not behind: ${e.engine.stats().lagMs} ms`)
})
