import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { connectAsync } from 'mqtt'
import { brokerPolicy } from '../broker/brokerPolicy.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { topics } from '../protocol/topics.js'
import { ROOT, runCli, type Spawned, spawnCli } from './helpers/cli.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { until } from './helpers/until.js'

const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const order = { pickup: { lat: 47.611, lon: -122.331 }, dropoff: { lat: 47.615, lon: -122.335 }, weightKg: 1 }

/** `serve` on free ports and a data directory of its own; stopped (SIGTERM) at the end of the test. */
async function serve(t: Test, args: string[], env: NodeJS.ProcessEnv = {}, data?: string): Promise<{ s: Spawned; api: string }> {
  const dir = data ?? (await mkdtemp(join(tmpdir(), 'df-cli-ops-')))
  if (!data) t.teardown(() => rm(dir, { recursive: true, force: true }))
  const s = spawnCli(['serve', '--http-port', '0', '--ws-port', '0', '--mqtt-port', '0', '--data', dir, ...args], {
    DRONEFLEET_LOG: 'warn',
    DRONEFLEET_API_KEY: '',
    ...env,
  })
  t.teardown(async () => {
    s.child.kill('SIGTERM')
    await s.exit
  })
  const api = (await s.waitFor(/http\s+(http:\/\/\S+)/))[1]!
  await s.waitFor(/api key/)
  return { s, api }
}

t.test('--version prints the version of the package', async (t) => {
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag])
    t.equal(r.code, 0)
    t.equal(r.stdout.trim(), version, flag)
  }
})

t.test('DRONEFLEET_API_KEY sets the operator key, and it is not printed', async (t) => {
  const key = 'env-key-0123456789abcdef'
  const { s, api } = await serve(t, [], { DRONEFLEET_API_KEY: key })
  t.match(s.stdout(), /api key\s+\(from DRONEFLEET_API_KEY\)/)
  t.notOk(s.stdout().includes(key), 'the key is not in the output')
  t.equal((await fetch(`${api}/v1/deliveries`)).status, 401, 'no key: refused')
  t.equal((await fetch(`${api}/v1/deliveries`, { headers: { authorization: 'Bearer wrong' } })).status, 401)
  t.equal(
    (await fetch(`${api}/v1/deliveries`, { headers: { authorization: `Bearer ${key}` } })).status,
    200,
    'the key from the environment opens',
  )
})

t.test('--api-key wins over DRONEFLEET_API_KEY', async (t) => {
  const { s, api } = await serve(t, ['--api-key', 'flag-key'], { DRONEFLEET_API_KEY: 'env-key' })
  t.match(s.stdout(), /api key\s+\(as given\)/)
  t.equal((await fetch(`${api}/v1/deliveries`, { headers: { authorization: 'Bearer flag-key' } })).status, 200)
  t.equal((await fetch(`${api}/v1/deliveries`, { headers: { authorization: 'Bearer env-key' } })).status, 401)
})

t.test('an empty key or a bad public URL is bad input naming the flag', async (t) => {
  const empty = await runCli(['serve', '--mqtt-port', '0', '--http-port', '0', '--ws-port', '0'], { DRONEFLEET_API_KEY: '' })
  t.equal(empty.code, 2)
  t.match(empty.stderr, /--api-key \(or DRONEFLEET_API_KEY\) must not be empty \[DF_FLAG_INVALID\]/)
  const bad = await runCli(['serve', '--public-url', 'ftp://example.com'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--public-url must be a URL with scheme http or https, got "ftp:\/\/example.com"/)
  const badWs = await runCli(['serve', '--public-ws-url', 'http://example.com'])
  t.equal(badWs.code, 2)
  t.match(badWs.stderr, /--public-ws-url must be a URL with scheme ws or wss/)
})

t.test("serve hides the simulator's broker password unless --show-secrets; the URL it then prints works", async (t) => {
  const data = await mkdtemp(join(tmpdir(), 'df-cli-ops-secrets-'))
  t.teardown(() => rm(data, { recursive: true, force: true }))
  // The password is kept in the store: the same in both runs on this data directory.
  const shown = await serve(t, ['--show-secrets', '--api-key', 'k'], { DRONEFLEET_LOG: 'info' }, data)
  const url = (await shown.s.waitFor(/sim\s+DRONEFLEET_BROKER='(\S+)' DRONEFLEET_API_KEY=<key> dronefleet sim <scenario> --gateway /))[1]!
  const password = decodeURIComponent(new URL(url).password)
  t.ok(password.length >= 16, 'with --show-secrets the URL carries the password')
  t.notMatch(shown.s.stdout(), /password is hidden/)

  // A short scenario flown by `sim` on that URL, the key from the environment: the URL is usable.
  const scenario = join(data, 'tiny.yaml')
  await writeFile(
    scenario,
    [
      'name: tiny',
      'seed: 3',
      'duration: 3 min',
      'speed: max',
      'tick: 1 s',
      'depots:',
      '  - { id: hub, position: [47.61, -122.33], drones: 2 }',
      'demand:',
      '  rate: 60 /h',
      '  area: { center: [47.61, -122.33], radius: 1 km }',
      '',
    ].join('\n'),
  )
  // As the line says: the broker URL and the key in the environment, not on the command line.
  const sim = await runCli(['sim', scenario, '--gateway', shown.api, '--out', join(data, 'out'), '--workers', '1'], {
    DRONEFLEET_BROKER: url,
    DRONEFLEET_API_KEY: 'k',
  })
  t.equal(sim.code, 0, `sim ran on the printed URL from DRONEFLEET_BROKER with the key from the environment: ${sim.stderr.slice(-400)}`)
  t.ok(JSON.parse(await readFile(join(data, 'out', 'results.json'), 'utf8')).summary.requested > 0, 'and its requests were accepted')
  shown.s.child.kill('SIGTERM')
  await shown.s.exit

  const hidden = await serve(t, ['--api-key', 'k'], { DRONEFLEET_LOG: 'info' }, data)
  const line = (await hidden.s.waitFor(/sim\s+DRONEFLEET_BROKER='(\S+)' DRONEFLEET_API_KEY=<key> dronefleet sim <scenario> --gateway /))[1]!
  t.equal(new URL(line).password, '***', 'the password is replaced')
  t.match(hidden.s.stdout(), /the broker password is hidden: pass --show-secrets to print it/)
  t.notOk(hidden.s.stdout().includes(password), 'the password is nowhere in stdout')
  t.notOk(hidden.s.stderr().includes(password), 'nor in the log')
})

t.test('serve --role engine|gateway refuses to start without a shared broker and a shared store, naming the flag', async (t) => {
  for (const role of ['engine', 'gateway']) {
    const noBroker = await runCli(['serve', '--role', role, '--store', 'postgres://127.0.0.1:1/none'])
    t.equal(noBroker.code, 2, `--role ${role} without --broker exits 2`)
    t.match(noBroker.stderr, new RegExp(`--role ${role} needs --broker \\(or DRONEFLEET_BROKER\\)`))
    const noStore = await runCli(['serve', '--role', role, '--broker', 'mqtt://127.0.0.1:1'])
    t.equal(noStore.code, 2, `--role ${role} without --store exits 2`)
    t.match(noStore.stderr, new RegExp(`--role ${role} needs --store postgres://`))
  }
})

t.test('DRONEFLEET_BROKER and DRONEFLEET_STORE: checked like their flags, errors name both and repeat no password', async (t) => {
  const broker = await runCli(['serve', '--mqtt-port', '0', '--http-port', '0', '--ws-port', '0'], {
    DRONEFLEET_BROKER: 'http://sim:hunter2-secret@broker.example:1883',
  })
  t.equal(broker.code, 2)
  t.match(
    broker.stderr,
    /--broker \(or DRONEFLEET_BROKER\) must be a URL with scheme mqtt or mqtts or tcp or ws or wss, got "http:\/\/sim:\*\*\*@broker\.example:1883\/?"/,
  )
  t.notOk(broker.stderr.includes('hunter2'), 'the password is not repeated')
  const store = await runCli(['serve', '--role', 'gateway'], { DRONEFLEET_STORE: 'mysql://df:hunter2-secret@db.example/df' })
  t.equal(store.code, 2)
  t.match(
    store.stderr,
    /--store \(or DRONEFLEET_STORE\) must be a URL with scheme postgres or postgresql, got "mysql:\/\/df:\*\*\*@db\.example\/df"/,
  )
  t.notOk(store.stderr.includes('hunter2'))
  const flagWins = await runCli(['sim', 'scenarios/quickstart.yaml', '--broker', 'ftp://x', '--gateway', 'http://127.0.0.1:9'], {
    DRONEFLEET_BROKER: 'mqtt://127.0.0.1:9',
  })
  t.match(flagWins.stderr, /got "ftp:\/\/x"/, 'the flag wins over the variable')
  const empty = await runCli(['sim', 'scenarios/quickstart.yaml', '--gateway', 'http://127.0.0.1:9'], { DRONEFLEET_BROKER: '' })
  t.equal(empty.code, 2)
  t.match(empty.stderr, /--broker \(or DRONEFLEET_BROKER\) must be a URL/, 'an empty variable is no broker')
  const missing = await runCli(['sim', 'scenarios/quickstart.yaml', '--gateway', 'http://127.0.0.1:9'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /required option '--broker <url>' not specified/, 'sim needs a broker from one or the other')
})

t.test(
  'serve takes its broker and store from DRONEFLEET_BROKER and DRONEFLEET_STORE: no password in the process list or its output',
  async (t) => {
    if (!(await requirePostgres(t))) return
    const mqttPassword = 'mqtt-pw-7c41e0'
    const pgPassword = 'pg-pw-93b2aa' // PostgreSQL here trusts local connections; the password still travels in the URL
    const broker = await startEmbeddedBroker({
      port: 0,
      // Only this user with this password may connect, with a gateway's grants; an engine's status comes from the other.
      policy: brokerPolicy(
        [
          { username: 'df-ops', password: mqttPassword, role: 'gateway' },
          { username: 'df-engine', password: 'engine-pw', role: 'engine' },
        ],
        topics(),
      ),
    })
    t.teardown(() => broker.close())
    const storeUrl = new URL(await tempDatabase(t))
    storeUrl.password = pgPassword
    const brokerUrl = new URL(broker.url)
    brokerUrl.username = 'df-ops'
    brokerUrl.password = mqttPassword
    const s = spawnCli(['serve', '--role', 'gateway', '--http-port', '0', '--ws-port', '0', '--api-key', 'k'], {
      DRONEFLEET_LOG: 'info',
      DRONEFLEET_BROKER: brokerUrl.toString(),
      DRONEFLEET_STORE: storeUrl.toString(),
    })
    t.teardown(async () => {
      s.child.kill('SIGTERM')
      await s.exit
    })
    // The banner comes once the gateway is connected: with the broker's password from the environment.
    const api = (await s.waitFor(/http\s+(http:\/\/\S+)/))[1]!
    t.match(s.stdout(), /store\s+postgres:\/\/postgres:\*\*\*@/, 'the store, its password hidden')
    t.match(s.stdout(), /broker\s+mqtt:\/\/df-ops:\*\*\*@/, 'the broker, its password hidden')
    const notReady = await fetch(`${api}/readyz`)
    t.equal(notReady.status, 503, 'not ready before it has heard an engine')
    t.match(await notReady.text(), /no engine has been heard from yet/)
    // An engine apart says how it is doing on its status topic (an engine user may publish it, a gateway user read it).
    const engineUrl = new URL(broker.url)
    engineUrl.username = 'df-engine'
    engineUrl.password = 'engine-pw'
    const engine = await connectAsync(engineUrl.toString())
    t.teardown(() => engine.endAsync())
    const stats = {
      telemetryReceived: 0,
      telemetryRejected: { malformed: 0, missing: 0, type: 0, range: 0, topic: 0 },
      telemetryStale: 0,
      assignments: 0,
      deliveriesByStatus: { Created: 0, HeadedToPickup: 0, HeadedToDropoff: 0, Completed: 0, Cancelled: 0, Failed: 0 },
      watermark: 0,
      lagMs: 3,
    }
    await until(
      async () => {
        await engine.publishAsync(
          topics().engineStatus('e1'),
          JSON.stringify({ holder: 'e1', sentAt: Date.now(), regions: ['default'], stats, drones: [], zones: [] }),
        )
        return (await fetch(`${api}/readyz`)).status === 200 || undefined
      },
      10_000,
      'the gateway ready once it hears an engine',
    )
    t.pass('ready once it hears an engine, and it serves')
    const argv = (await readFile(`/proc/${s.child.pid}/cmdline`, 'utf8')).split('\0')
    t.ok(argv.includes('--role'), `the process list shows its arguments (${argv.slice(2).join(' ')})`)
    for (const secret of [mqttPassword, pgPassword]) {
      t.notOk(argv.join(' ').includes(secret), `${secret.slice(0, 5)}… is not in its arguments`)
      t.notOk(s.stdout().includes(secret) || s.stderr().includes(secret), `nor in its output`)
    }
  },
)

t.test('--public-url: the links the service returns start with it', async (t) => {
  const { s, api } = await serve(t, ['--public-url', 'https://drones.example.com/df/', '--api-key', 'k'])
  t.match(s.stdout(), /public\s+https:\/\/drones\.example\.com\/df and wss:\/\/drones\.example\.com\/df/)
  const res = await fetch(`${api}/v1/deliveries`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify(order),
  })
  t.equal(res.status, 202)
  const body = (await res.json()) as { id: string; trackingUrl: string; trackingPage: string; trackingToken: string }
  const q = `${body.id}?token=${encodeURIComponent(body.trackingToken)}`
  t.equal(body.trackingPage, `https://drones.example.com/df/track/${q}`)
  t.equal(body.trackingUrl, `wss://drones.example.com/df/v1/track/${q}`)
})

t.test('--public-ws-url sets the WebSocket base on its own', async (t) => {
  const { api } = await serve(t, ['--public-url', 'http://proxy.test:8000', '--public-ws-url', 'wss://ws.proxy.test', '--api-key', 'k'])
  const res = await fetch(`${api}/v1/deliveries`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify(order),
  })
  const body = (await res.json()) as { trackingUrl: string; trackingPage: string }
  t.match(body.trackingPage, /^http:\/\/proxy\.test:8000\/track\//)
  t.match(body.trackingUrl, /^wss:\/\/ws\.proxy\.test\/v1\/track\//)
})

t.test('tracking tokens and API keys never reach the request log', async (t) => {
  const { s, api } = await serve(t, ['--api-key', 'k'], { DRONEFLEET_LOG: 'info' })
  const res = await fetch(`${api}/v1/deliveries`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify(order),
  })
  const { id, trackingToken, trackingPage } = (await res.json()) as { id: string; trackingToken: string; trackingPage: string }
  t.equal((await fetch(trackingPage)).status, 200, 'the page opens with its token')
  t.equal((await fetch(`${api}/v1/deliveries/${id}?apiKey=some-secret-key`, { headers: { authorization: 'Bearer k' } })).status, 200)
  // Each request is logged when it completes: wait for the lines, not for a time.
  // The log is written as requests complete: wait for the lines.
  await until(() => s.stderr().includes(`"url":"/track/${id}?token=`) || undefined, 10_000, 'the tracking page request in the log')
  await until(
    () => s.stderr().includes(`"url":"/v1/deliveries/${id}?apiKey=`) || undefined,
    10_000,
    'the request with an apiKey in the log',
  )
  t.ok(s.stderr().includes(`"url":"/track/${id}?token=[redacted]"`), 'the page request is logged, its token redacted')
  t.ok(s.stderr().includes(`"url":"/v1/deliveries/${id}?apiKey=[redacted]"`), 'the apiKey parameter redacted')
  t.notOk(s.stderr().includes(trackingToken), 'the token is not in the log')
  t.notOk(s.stderr().includes('some-secret-key'), 'the key is not in the log')
})
