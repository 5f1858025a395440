import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { RunResults } from '../sim/report/runResults.js'
import { type Spawned, spawnCli } from './helpers/cli.js'

/** Resolves once `re` appears on the child's stderr (where progress goes). */
function stderrMatch(s: Spawned, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (re.test(s.stderr())) {
        s.child.stderr!.off('data', check)
        resolve()
      }
    }
    s.child.stderr!.on('data', check)
    void s.exit.then(() => reject(new Error(`exited before ${re} on stderr; stderr: ${s.stderr().slice(-500)}`)))
    check()
  })
}

/** Ctrl-C once a tenth is flown: exit 130, the summary of what was flown, and the partial files written. */
async function interruptAndCheck(t: Test, s: Spawned, out: string, label: string): Promise<void> {
  await stderrMatch(s, new RegExp(`${label}: 10%`))
  s.child.kill('SIGINT')
  const code = await s.exit
  t.equal(code, 130, `exit 130 after Ctrl-C (stderr: ${s.stderr().slice(-300)})`)
  t.match(s.stderr(), /interrupted: finishing the tick in progress and writing the results so far/)
  t.match(s.stdout(), /^INTERRUPTED after .+ of 30 min simulated: partial results/m)
  t.match(s.stdout(), /still in flight at the end +\d+ +inFlight/)
  const r = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults
  t.equal(r.wallClock.interrupted, true, 'results.json says it was interrupted')
  t.ok(
    r.wallClock.simulatedS > 0 && r.wallClock.simulatedS < r.scenario.durationS,
    `flew ${r.wallClock.simulatedS} s of ${r.scenario.durationS}`,
  )
  t.ok(r.summary.requested > 0, `requests were made before the stop (${r.summary.requested})`)
  t.equal(r.deliveries.length, r.summary.requested, 'one result per request made before the stop')
  t.ok(r.summary.inFlight > 0, `deliveries were still under way when it stopped (${r.summary.inFlight})`)
  t.equal(r.summary.inFlight, r.summary.requested - r.summary.completed - r.summary.failed - r.summary.cancelled)
  await access(join(out, 'report.html'))
  await access(join(out, 'routes.geojson'))
}

t.test('Ctrl-C during run writes the partial results and a summary', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'df-interrupt-run-'))
  t.teardown(() => rm(out, { recursive: true, force: true }))
  // At 20× real time the 30 simulated minutes would take 90 s: it is stopped after the first tenth.
  const s = spawnCli(['run', 'scenarios/quickstart.yaml', '--speed', '20', '--workers', '1', '--out', out])
  t.teardown(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL')
  })
  await interruptAndCheck(t, s, out, 'quickstart')
})

t.test('Ctrl-C during sim writes the partial results and a summary; the service keeps serving', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'df-interrupt-sim-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const serve = spawnCli(
    ['serve', '--http-port', '0', '--ws-port', '0', '--mqtt-port', '0', '--data', join(dir, 'data'), '--show-secrets'],
    { DRONEFLEET_LOG: 'warn', DRONEFLEET_API_KEY: 'k' },
  )
  t.teardown(async () => {
    serve.child.kill('SIGTERM')
    await serve.exit
  })
  const broker = (await serve.waitFor(/sim\s+DRONEFLEET_BROKER='(\S+)' DRONEFLEET_API_KEY=<key> dronefleet sim <scenario> --gateway /))[1]!
  const api = (await serve.waitFor(/http\s+(http:\/\/\S+)/))[1]!
  const out = join(dir, 'out')
  const s = spawnCli(
    ['sim', 'scenarios/quickstart.yaml', '--broker', broker, '--gateway', api, '--speed', '20', '--workers', '1', '--out', out],
    {
      DRONEFLEET_API_KEY: 'k',
    },
  )
  t.teardown(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL')
  })
  await interruptAndCheck(t, s, out, 'quickstart')
  t.equal((await fetch(`${api}/healthz`)).status, 200, 'serve is untouched')
})
