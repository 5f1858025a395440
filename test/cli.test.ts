import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { RunResults } from '../sim/report/runResults.js'
import { runCli, spawnCli } from './helpers/cli.js'

const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'dronefleet-cli-'))

t.test('run: the quickstart completes, prints its summary and writes results', async (t) => {
  const out = await tmp()
  const r = await runCli(['run', 'scenarios/quickstart.yaml', '--out', out])
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(-300)})`)
  for (const figure of ['requested', 'completed', 'onTime', 'meanDeliveryTimeS', 'meanEtaErrorS']) t.match(r.stdout, figure)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults
  t.ok(results.summary.requested >= 50, `≥ 50 deliveries requested (${results.summary.requested})`)
  t.ok(results.scenario.drones >= 20, '≥ 20 drones')
  t.ok(results.scenario.durationS >= 1800, '≥ 30 simulated minutes')
  t.ok(results.summary.completed > 0 && results.summary.completed <= results.summary.requested)
  t.equal(results.deliveries.length, results.summary.requested, 'one result per request')
  t.ok(
    results.deliveries.filter((d) => d.status === 'Completed').every((d) => d.completedAt! > d.requestedAt && d.droneId),
    'completed deliveries name a drone and finish after their request',
  )
  t.match(r.stderr, /quickstart: 100%/, 'progress on stderr')
  const html = await readFile(join(out, 'report.html'), 'utf8')
  t.match(html, /<svg/)
  t.notMatch(html, /<script[^>]+src=|<link[^>]+href="http/, 'the report loads nothing from elsewhere')
})

t.test('run: a missed expectation exits 1 and names figure, threshold and value', async (t) => {
  const dir = await tmp()
  const file = join(dir, 'strict.yaml')
  const text = (await readFile('scenarios/quickstart.yaml', 'utf8'))
    .replace('duration: 30 min', 'duration: 3 min')
    .replace(/expect:[\s\S]*$/, 'expect:\n  requested: ">= 100000"\n')
  await writeFile(file, text)
  const r = await runCli(['run', file, '--out', dir])
  t.equal(r.code, 1)
  t.match(r.stdout, /FAIL expect requested >= 100000 \(line \d+\), got \d+/)
})

t.test('run: a figure without data reads "no data" everywhere, and a threshold on it fails saying so', async (t) => {
  const dir = await tmp()
  const file = join(dir, 'short.yaml')
  // Six minutes: deliveries complete, but none is predicted 10 min before it arrives.
  const text = (await readFile('scenarios/quickstart.yaml', 'utf8'))
    .replace('duration: 30 min', 'duration: 6 min')
    .replace(/expect:[\s\S]*$/, 'expect:\n  completed: ">= 1"\n  etaErrorAt10MinS: "< 60"\n')
  await writeFile(file, text)
  const r = await runCli(['run', file, '--out', dir])
  t.equal(r.code, 1, `exit 1: ${r.stdout.slice(-800)} ${r.stderr.slice(-300)}`)
  const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as RunResults
  t.ok(results.summary.completed >= 1, `deliveries completed (${results.summary.completed})`)
  t.equal(results.summary.etaErrorAt10MinS, null, 'null in results.json, not 0')
  t.type(results.summary.meanDeliveryTimeS, 'number', 'figures with data keep their number')
  t.match(r.stdout, /ETA error, 10 min before\s+no data\s+etaErrorAt10MinS\n/, 'the printed summary says no data')
  t.match(r.stdout, /FAIL expect etaErrorAt10MinS < 60 \(line \d+\): no data for etaErrorAt10MinS/)
  t.match(r.stdout, /ok {3}expect completed >= 1: holds/)
  const html = await readFile(join(dir, 'report.html'), 'utf8')
  t.match(html, /<th>etaErrorAt10MinS<\/th><td class="nodata">no data<\/td>/, 'the report says no data')
})

t.test('bad scenario files exit 2 with file:line, field and value', async (t) => {
  const r = await runCli(['run', 'test/fixtures/scenarios/negative-rate.yaml'])
  t.equal(r.code, 2)
  t.match(r.stderr, /negative-rate\.yaml:\d+:\d+\s+demand\.rate\s+.*-/)
  const v = await runCli(['validate', 'test/fixtures/scenarios/unknown-key.yaml'])
  t.equal(v.code, 2)
  t.match(v.stderr, /unknown-key\.yaml:\d+:\d+/)
  const ok = await runCli(['validate', 'scenarios/quickstart.yaml'])
  t.equal(ok.code, 0)
  const missing = await runCli(['run', 'no/such/file.yaml'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /no\/such\/file\.yaml/)
})

t.test('bad flags exit 2 naming the flag and the value', async (t) => {
  for (const [args, flag] of [
    [['run', 'scenarios/quickstart.yaml', '--workers', '0'], '--workers'],
    [['run', 'scenarios/quickstart.yaml', '--speed', 'fast'], '--speed'],
    [['serve', '--http-port', '70000'], '--http-port'],
    [['run', 'scenarios/quickstart.yaml', '--broker', 'http://x'], '--broker'],
    [
      ['sim', 'scenarios/quickstart.yaml', '--broker', 'mqtt://127.0.0.1:1', '--gateway', 'http://127.0.0.1:1', '--engine-timeout', '0'],
      '--engine-timeout',
    ],
  ] as const) {
    const r = await runCli([...args])
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, flag)
  }
  const unknown = await runCli(['run', 'scenarios/quickstart.yaml', '--wokers', '2'])
  t.equal(unknown.code, 2, 'an unknown flag')
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /run.*serve.*sim.*validate/s)
})

t.test('a port in use is an error that names the flag to change', async (t) => {
  const busy = createServer()
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
  t.teardown(() => busy.close())
  const port = String((busy.address() as { port: number }).port)
  const r = await runCli(['serve', '--mqtt-port', '0', '--http-port', port, '--ws-port', '0'])
  t.equal(r.code, 2)
  t.match(r.stderr, new RegExp(`port ${port} is already in use; choose another with --http-port`))
  const s = spawnCli(['serve', '--mqtt-port', port, '--http-port', '0', '--ws-port', '0'])
  t.equal(await s.exit, 2)
  t.match(s.stderr(), '--mqtt-port')
})
