import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { connectAsync } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { topics } from '../protocol/topics.js'
import { runCli } from './helpers/cli.js'

/**
 * `dronefleet sim` against services that are not there or refuse: each is an
 * error with a code, printed with it, and exit 4 (a service unavailable), not
 * 3 (a bug). The broker is real; an "engine" here only confirms each tick, so
 * the run gets as far as submitting demand to the gateway.
 */
const T = topics()
const broker = await startEmbeddedBroker({ port: 0 })
t.teardown(() => broker.close())
const engine = await connectAsync(broker.url)
t.teardown(() => engine.endAsync())
engine.on('message', (topic, payload) => {
  if (topic === T.simClock) engine.publish(T.engineWatermark, payload, { qos: 1 })
})
await engine.subscribeAsync(T.simClock, { qos: 1 })

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

const sim = (gateway: string, brokerUrl = broker.url): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  runCli([
    'sim',
    'scenarios/quickstart.yaml',
    '--broker',
    brokerUrl,
    '--gateway',
    gateway,
    '--workers',
    '1',
    '--out',
    '/tmp/dronefleet-cli-unavailable',
  ])

t.test('a gateway on a closed port: DF_GATEWAY_UNREACHABLE, exit 4', async (t) => {
  const port = await closedPort()
  const r = await sim(`http://127.0.0.1:${port}`)
  t.equal(r.code, 4, r.stderr.slice(-500))
  t.match(
    r.stderr,
    new RegExp(
      `dronefleet: cannot reach the gateway at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED; check --gateway \\[DF_GATEWAY_UNREACHABLE\\]`,
    ),
  )
  t.notMatch(r.stderr, /unexpected failure/)
})

t.test('a gateway that refuses the requests: DF_GATEWAY_REFUSED, exit 4', async (t) => {
  const gateway = createHttpServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/problem+json' })
    res.end(JSON.stringify({ status: 401, code: 'DF_UNAUTHORIZED', detail: 'the API key is not valid' }))
  })
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise((r) => gateway.close(r)))
  const r = await sim(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}`)
  t.equal(r.code, 4, r.stderr.slice(-500))
  t.match(r.stderr, /answered 401: .*the API key is not valid.*\[DF_GATEWAY_REFUSED\]/)
})

t.test('a broker on a closed port: DF_BROKER_UNREACHABLE, exit 4', async (t) => {
  const port = await closedPort()
  const r = await sim('http://127.0.0.1:1', `mqtt://127.0.0.1:${port}`)
  t.equal(r.code, 4, r.stderr.slice(-500))
  t.match(r.stderr, /cannot reach the MQTT broker at .*check --broker \[DF_BROKER_UNREACHABLE\]/)
})
