import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from './helpers/cli.js'

t.test('bench: thresholds decide the exit code, and the report holds the run', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dronefleet-bench-'))
  const out = join(dir, 'bench.json')
  const pass = await runCli([
    'bench',
    '--rate',
    '1000',
    '--duration',
    '2',
    '--warmup',
    '1',
    '--drones',
    '50',
    '--threshold',
    'loss==0',
    '--threshold',
    'throughput>=100',
    '--out',
    out,
  ])
  t.equal(pass.code, 0, `holds: exit 0 (${pass.stderr.slice(-300)})`)
  t.match(pass.stdout, /ok +embedded: loss==0 \(got 0\)/)
  const report = JSON.parse(await readFile(out, 'utf8')) as {
    runs: Array<{ result: { sent: number; engine: { received: number; latency: { count: number } }; bare: { received: number } } }>
  }
  const r = report.runs[0]!.result
  t.equal(r.sent, 2500, 'the open-model plan sent a 1 s ramp to 1000/s (500), then rate × duration positions')
  t.equal(r.engine.received, 2500, 'and the engine processed every one')
  t.equal(r.engine.latency.count, 2000, "the measured ones, not the warm-up's, have a latency")
  // The bare pipe counts by arrival: a warm-up message arriving a moment after the warm-up may count.
  t.ok(r.bare.received >= 1990 && r.bare.received < 2050, `the bare pipe counted the measured load, not the warm-up (${r.bare.received})`)
  t.match(pass.stderr, /after a 1 s warm-up ramp, held until every drone has reported \(not measured\)/)
  t.match(pass.stderr, /warm-up +sent/, 'progress lines during the warm-up say so')
  t.match(pass.stderr, /engine +[\d,]+\/s/, 'a live progress line per second')

  const fail = await runCli([
    'bench',
    '--rate',
    '500',
    '--duration',
    '1',
    '--drones',
    '10',
    '--format',
    'binary',
    '--threshold',
    'p99<0.001ms',
    '--out',
    out,
  ])
  t.equal(fail.code, 1, 'a missed threshold exits 1')
  t.match(fail.stdout, /FAIL embedded: p99<0\.001ms \(got [\d.]+\)/)

  const bad = await runCli(['bench', '--threshold', 'p42<1ms'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /unknown metric "p42"/)
})
