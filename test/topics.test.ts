import t from 'tap'
import { DEFAULT_PREFIX, DEFAULT_REGION, REGION_ID, topics } from '../protocol/topics.js'

t.test('the default region keeps the topics a world without regions always had', async (t) => {
  const d = topics()
  t.equal(d.region, DEFAULT_REGION)
  t.same(
    [d.telemetry('d-1'), d.telemetryAll, d.telemetryBatch(3), d.telemetryBatchAll, d.requests, d.simClock, d.engineWatermark],
    [
      'dronefleet/v1/telemetry/d-1',
      'dronefleet/v1/telemetry/+',
      'dronefleet/v1/telemetry-batch/3',
      'dronefleet/v1/telemetry-batch/+',
      'dronefleet/v1/requests',
      'dronefleet/v1/sim/clock',
      'dronefleet/v1/engine/watermark',
    ],
  )
  t.same(d.forRegion(DEFAULT_REGION), d, 'forRegion(default) is the same tree')
  t.equal(topics(`${DEFAULT_PREFIX}/`).telemetryAll, d.telemetryAll, 'a trailing slash is dropped')
})

t.test("a named region's telemetry, batches, requests and clock are under regions/{id}/; the rest is shared", async (t) => {
  const d = topics()
  const n = d.forRegion('north')
  t.equal(n.region, 'north')
  t.same(
    [n.telemetry('d-1'), n.telemetryAll, n.telemetryBatch(0), n.telemetryBatchAll, n.requests, n.simClock, n.engineWatermark],
    [
      'dronefleet/v1/regions/north/telemetry/d-1',
      'dronefleet/v1/regions/north/telemetry/+',
      'dronefleet/v1/regions/north/telemetry-batch/0',
      'dronefleet/v1/regions/north/telemetry-batch/+',
      'dronefleet/v1/regions/north/requests',
      'dronefleet/v1/regions/north/sim/clock',
      'dronefleet/v1/regions/north/engine/watermark',
    ],
  )
  for (const k of ['commandsAll', 'deliveryEventsAll', 'trackingAll', 'engineProbeAll'] as const) t.equal(n[k], d[k], `${k} is shared`)
  t.equal(n.commands('d-1'), d.commands('d-1'))
  t.equal(n.tracking('del-1'), d.tracking('del-1'))
  t.same(n.forRegion(DEFAULT_REGION), d, 'and back')
  t.equal(n.droneIdOf('dronefleet/v1/regions/north/telemetry/d-7'), 'd-7')
  t.equal(n.droneIdOf('dronefleet/v1/commands/d-7'), 'd-7', 'commands are read in any region')
  t.equal(n.droneIdOf('dronefleet/v1/telemetry/d-7'), undefined, "another region's telemetry is not this one's")
  t.equal(d.droneIdOf('dronefleet/v1/regions/north/telemetry/d-7'), undefined)
  t.equal(n.droneIdOf('dronefleet/v1/regions/north/telemetry/d-7/x'), undefined)
})

t.test('a region id is one topic level: no separator, no wildcard, lowercase', async (t) => {
  for (const ok of ['north', 'seattle-2', 'a', 'x_y', '0', 'a'.repeat(63)]) t.ok(REGION_ID.test(ok), ok)
  for (const bad of ['', 'North', 'a/b', '+', '#', '-a', '_a', 'a b', 'a'.repeat(64), 'ö'])
    t.notOk(REGION_ID.test(bad), JSON.stringify(bad))
})
