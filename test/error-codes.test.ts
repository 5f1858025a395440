import { readFile } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { connectAsync } from 'mqtt'
import t from 'tap'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { exitCodeOf, ExitCodes } from '../cli/exitCodes.js'
import { problem, ProblemError, sendProblem } from '../gateway/problem.js'
import { decodeBatch } from '../protocol/batchCodec.js'
import { DronefleetError, ErrorCodes, statusOf, type ErrorCode } from '../protocol/errors.js'
import { OptionChecker } from '../protocol/OptionChecker.js'
import { decodeTelemetryJson } from '../protocol/telemetry.js'
import { topics } from '../protocol/topics.js'
import { parseQuantity } from '../protocol/units.js'
import { gatewaySubmitter } from '../sim/gatewayClient.js'
import { loadScenario, parseScenario } from '../sim/scenario/loadScenario.js'
import { parseNode } from '../sim/scenario/scenarioParsers.js'
import { Simulator } from '../sim/Simulator.js'
import { ROOT } from './helpers/cli.js'

const ALL = Object.values(ErrorCodes) as ErrorCode[]

/** Runs `f` and returns what it threw. */
async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

t.test('every code declares one HTTP status and one exit status', async (t) => {
  for (const code of ALL) {
    const status = statusOf(code)
    t.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code} → HTTP ${status}`)
    t.ok(
      ([ExitCodes.BAD_INPUT, ExitCodes.BUG, ExitCodes.UNAVAILABLE] as number[]).includes(exitCodeOf(code)),
      `${code} → exit ${exitCodeOf(code)}`,
    )
    t.equal(new DronefleetError(code, 'x').status, status, 'an error gets its status from its code')
  }
  t.equal(statusOf(ErrorCodes.NOT_FOUND), 404)
  t.equal(statusOf(ErrorCodes.REQUEST_INVALID), 400)
  t.equal(statusOf(ErrorCodes.CONFLICT), 409)
  t.equal(statusOf(ErrorCodes.UNAUTHORIZED), 401)
  t.equal(statusOf(ErrorCodes.OVERLOADED), 503)
  t.equal(statusOf(ErrorCodes.BROKER_UNAVAILABLE), 503)
  t.equal(statusOf(ErrorCodes.INTERNAL), 500)
  t.equal(statusOf(ErrorCodes.ENGINE_TIMEOUT), 504)
  t.equal(exitCodeOf(ErrorCodes.FLAG_INVALID), 2, 'bad input exits 2')
  t.equal(exitCodeOf(ErrorCodes.OPTION_INVALID), 2)
  for (const code of [
    ErrorCodes.ENGINE_TIMEOUT,
    ErrorCodes.LOAD_STALLED,
    ErrorCodes.GATEWAY_UNREACHABLE,
    ErrorCodes.GATEWAY_REFUSED,
    ErrorCodes.BROKER_UNREACHABLE,
  ]) {
    t.equal(exitCodeOf(code), 4, `an unavailable service exits 4: ${code}`)
  }
})

t.test('ProblemError, UnitError, Invalid and the rest are DronefleetErrors with stable codes', async (t) => {
  const cases: Array<[string, unknown, ErrorCode]> = [
    ['ProblemError', new ProblemError(ErrorCodes.NOT_FOUND, 'no such thing'), ErrorCodes.NOT_FOUND],
    ['UnitError', await thrown(() => parseQuantity('3 parsecs', 'length')), ErrorCodes.UNIT_INVALID],
    ['Invalid', await thrown(() => parseNode('instant', 'yesterday', {})), ErrorCodes.SCENARIO_INVALID],
    ['ScenarioError', await thrown(() => parseScenario('name: x\nnope: 1\n')), ErrorCodes.SCENARIO_INVALID],
    ['ScenarioError', await thrown(() => loadScenario('no/such/file.yaml')), ErrorCodes.SCENARIO_UNREADABLE],
    ['TelemetryError', await thrown(() => decodeTelemetryJson('{}')), ErrorCodes.TELEMETRY_INVALID],
    ['BatchError', await thrown(() => decodeBatch(new Uint8Array(2))), ErrorCodes.TELEMETRY_INVALID],
    ['DronefleetError', await thrown(() => new OptionChecker('Part').number('n', -1, 1, { min: 0 })), ErrorCodes.OPTION_INVALID],
  ]
  for (const [name, err, code] of cases) {
    t.type(err, DronefleetError, `${name} is a DronefleetError`)
    t.type(err, Error)
    t.match(err, { name, code, status: statusOf(code) }, `${name}: ${code}`)
  }
  const unit = cases[1]![1] as DronefleetError
  t.equal(unit.value, '3 parsecs', 'UnitError keeps the value')
})

t.test('a ProblemError takes its status from its code; only an explicit status overrides it', async (t) => {
  t.equal(new ProblemError(ErrorCodes.NOT_FOUND, 'x').status, 404)
  t.equal(new ProblemError(ErrorCodes.UNAUTHORIZED, 'x').status, 401)
  t.equal(new ProblemError(ErrorCodes.REQUEST_INVALID, 'x').status, 400)
  t.equal(new ProblemError(ErrorCodes.REQUEST_INVALID, 'x', { status: 422 }).status, 422)
  const withFields = new ProblemError(ErrorCodes.REQUEST_INVALID, 'x', {
    errors: [{ field: '/weightKg', value: -1, message: 'must be > 0' }],
  })
  t.match(withFields, { field: '/weightKg', value: -1 }, "the first field error is the error's field and value")
  t.match(problem(ErrorCodes.CONFLICT, 'ended'), {
    status: 409,
    title: 'Conflict',
    code: 'DF_CONFLICT',
    type: 'urn:dronefleet:problem:DF_CONFLICT',
  })

  const app = Fastify({ logger: false })
  app.setErrorHandler(sendProblem)
  app.get('/conflict', async () => {
    throw new ProblemError(ErrorCodes.CONFLICT, 'delivery d is already Cancelled')
  })
  app.get('/busy', async () => {
    throw new ProblemError(ErrorCodes.OVERLOADED, 'behind', { headers: { 'retry-after': '1' } })
  })
  app.get('/refused', async () => {
    throw new ProblemError(ErrorCodes.REQUEST_INVALID, 'in a no-fly zone', { status: 422 })
  })
  t.teardown(() => app.close())
  const conflict = await app.inject({ url: '/conflict' })
  t.equal(conflict.statusCode, 409)
  t.match(conflict.json(), { status: 409, code: 'DF_CONFLICT', title: 'Conflict', detail: /already Cancelled/ })
  const busy = await app.inject({ url: '/busy' })
  t.equal(busy.statusCode, 503)
  t.equal(busy.headers['retry-after'], '1')
  t.match(busy.json(), { code: 'DF_OVERLOADED' })
  const refused = await app.inject({ url: '/refused' })
  t.equal(refused.statusCode, 422)
  t.match(refused.json(), { status: 422, code: 'DF_REQUEST_INVALID', title: 'Unprocessable Content' })
})

t.test('the gateway client: an unreachable gateway and a refusal carry codes', async (t) => {
  const arrival = {
    at: 0,
    pickup: { lat: 47.6, lon: -122.33 },
    dropoff: { lat: 47.61, lon: -122.33 },
    weightKg: 1,
    deadline: 1_763_700_000_000,
  }
  const port = await closedPort()
  const unreachable = gatewaySubmitter({ baseUrl: `http://127.0.0.1:${port}`, apiKey: null })
  await t.rejects(unreachable(arrival), {
    code: 'DF_GATEWAY_UNREACHABLE',
    field: '--gateway',
    message: new RegExp(`cannot reach the gateway at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
  })

  let posts = 0
  const server = createHttpServer((req, res) => {
    posts++
    const busy = req.headers.authorization === 'Bearer busy'
    res.writeHead(busy ? 503 : 401, { 'content-type': 'application/problem+json', 'retry-after': '0' })
    res.end(JSON.stringify({ status: busy ? 503 : 401, code: busy ? 'DF_OVERLOADED' : 'DF_UNAUTHORIZED', detail: 'no' }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise((r) => server.close(r)))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await t.rejects(gatewaySubmitter({ baseUrl, apiKey: 'wrong' })(arrival), {
    code: 'DF_GATEWAY_REFUSED',
    message: /answered 401: .*DF_UNAUTHORIZED/,
  })
  t.equal(posts, 1, 'a refusal is not retried')
  posts = 0
  const slept: number[] = []
  const busy = gatewaySubmitter({
    baseUrl,
    apiKey: 'busy',
    attempts: 3,
    sleep: async (ms) => {
      slept.push(ms)
    },
  })
  await t.rejects(busy(arrival), { code: 'DF_GATEWAY_REFUSED', message: /answered 503/ })
  t.equal(posts, 3, 'a 503 is retried up to the attempts')
  t.equal(slept.length, 2)
})

t.test('the simulator gives up on an engine that never confirms a tick with DF_ENGINE_TIMEOUT', async (t) => {
  const broker = await startEmbeddedBroker({ port: 0 })
  t.teardown(() => broker.close())
  const mqtt = await connectAsync(broker.url)
  t.teardown(() => mqtt.endAsync())
  const scenario = parseScenario(await readFile(`${ROOT}scenarios/quickstart.yaml`), 'quickstart.yaml')
  const T = topics('timeout-test')
  const sim = new Simulator({ scenario, mqtt, topics: T, workers: 1, submit: async () => 'del-x', engineTimeoutMs: 200 })
  t.teardown(() => sim.close())
  const err = await thrown(() => sim.run())
  t.type(err, DronefleetError)
  t.match(err, {
    code: 'DF_ENGINE_TIMEOUT',
    field: 'engineTimeoutMs',
    value: 200,
    status: 504,
    message: new RegExp(`within 200 ms; is it running and subscribed to ${T.simClock}`),
  })
})
