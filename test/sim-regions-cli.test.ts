import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { DemandGenerator } from '../sim/demand.js'
import { FleetRegions } from '../sim/FleetRegions.js'
import type { RunResults } from '../sim/report/runResults.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'
import { runCli, spawnCli } from './helpers/cli.js'

// The command line with regions: run's one engine for every region, serve --scenario and sim --regions processes.
const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url))
const CITIES = readFileSync(repo('scenarios/three-cities.yaml'), 'utf8')
const REGIONS = ['seattle', 'kirkland', 'bellevue']

t.test('sim --regions: a malformed or unknown region id is a flag error naming it', async (t) => {
  const base = ['sim', 'scenarios/three-cities.yaml', '--broker', 'mqtt://127.0.0.1:9', '--gateway', 'http://127.0.0.1:9']
  const bad = await runCli([...base, '--regions', 'seattle,Kirkland'])
  t.equal(bad.code, 2)
  t.match(
    bad.stderr,
    /--regions must be region ids separated by commas .*; "Kirkland" is not one, got "seattle,Kirkland" \[DF_FLAG_INVALID\]/,
  )
  const unknown = await runCli([...base, '--regions', 'seattle,tacoma'])
  t.equal(unknown.code, 2)
  t.match(
    unknown.stderr,
    /--regions must name regions of scenarios\/three-cities\.yaml \(seattle, kirkland, bellevue\), got "tacoma" \[DF_FLAG_INVALID\]/,
  )
})

t.test('run three-cities: one engine owns the three regions; results repeat byte for byte for any worker count', async (t) => {
  const dirs = [await mkdtemp(join(tmpdir(), 'dronefleet-cities-')), await mkdtemp(join(tmpdir(), 'dronefleet-cities-'))]
  const one = await runCli(['run', 'scenarios/three-cities.yaml', '--out', dirs[0]!, '--workers', '1'])
  t.equal(one.code, 0, `exit 0: ${one.stdout.slice(-800)} ${one.stderr.slice(-300)}`)
  t.match(one.stdout, /three-cities: seed 13, 15 drones in 3 regions/)
  const two = await runCli(['run', 'scenarios/three-cities.yaml', '--out', dirs[1]!, '--workers', '2'])
  t.equal(two.code, 0)
  const texts = await Promise.all(dirs.map((d) => readFile(join(d, 'results.json'), 'utf8')))
  const cut = (text: string) => text.slice(0, text.indexOf('\n  "wallClock": {'))
  t.equal(cut(texts[1]!), cut(texts[0]!), 'identical outside wallClock')
  const r = JSON.parse(texts[0]!) as RunResults
  t.ok(r.summary.completed >= 10, `${r.summary.completed} completed`)
  const map = new FleetRegions(parseScenario(CITIES)).map
  const byRegion = new Map<string, number>()
  for (const d of r.deliveries) {
    const region = map.regionOf(d.pickup.lat, d.pickup.lon)!
    byRegion.set(region, (byRegion.get(region) ?? 0) + 1)
  }
  t.same([...byRegion.keys()].sort(), [...REGIONS].sort(), `requests in every region: ${JSON.stringify([...byRegion])}`)
})

t.test('serve --scenario with regions, and two sim processes with --regions flying its fleet between them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dronefleet-sim-regions-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'three-cities.yaml')
  // Two processes start a moment apart, each with its own start as the scenario's, and drive one engine's clock: the
  // later one's clock is behind by the start-up gap times the speed. At ×5 with 10 s ticks a gap of up to 10 s stays
  // within the engine's silence limit (5 ticks; at ×20 a 2.5 s gap falls outside it); four minutes give a drone
  // time to reach its pickup even when the engine's first assignments come late.
  await writeFile(
    file,
    CITIES.replace(/^duration: .*$/m, 'duration: 4 min')
      .replace(/^tick: .*$/m, 'tick: 10 s')
      .replace(/^( *)rate: .*$/m, '$1rate: 600 /h'),
  )
  const server = spawnCli(
    ['serve', '--scenario', file, '--http-port', '0', '--ws-port', '0', '--mqtt-port', '0', '--show-secrets', '--data', join(dir, 'data')],
    {
      DRONEFLEET_LOG: 'warn',
      DRONEFLEET_API_KEY: 'k',
    },
  )
  t.teardown(async () => {
    server.child.kill('SIGTERM')
    await server.exit
  })
  const [, broker] = await server.waitFor(/sim\s+DRONEFLEET_BROKER='(\S+)' DRONEFLEET_API_KEY=<key> dronefleet sim <scenario> --gateway /)
  const [, gateway] = await server.waitFor(/http\s+(http:\/\/\S+)/)
  const sim = (regions: string) =>
    spawnCli(
      [
        'sim',
        file,
        '--broker',
        broker!,
        '--gateway',
        gateway!,
        '--speed',
        '5',
        '--start',
        'scenario',
        '--workers',
        '1',
        '--regions',
        regions,
        '--out',
        join(dir, regions),
      ],
      { DRONEFLEET_API_KEY: 'k' },
    )
  const [west, east] = [sim('seattle'), sim('kirkland,bellevue')]
  const codes = await Promise.all([west.exit, east.exit])
  // Exit 1 is a threshold of the file's expect: block that half the demand does not meet; anything else is a failure.
  t.ok(
    codes.every((c) => c === 0 || c === 1),
    `both finished: ${codes.join(', ')}; ${west.stderr().slice(-300)} ${east.stderr().slice(-300)}`,
  )
  t.match(west.stdout(), /seed 13, 7 of 15 drones \(regions seattle\), 4 min simulated/)
  t.match(east.stdout(), /seed 13, 8 of 15 drones \(regions kirkland, bellevue\), 4 min simulated/)
  const [w, e] = (await Promise.all(['seattle', 'kirkland,bellevue'].map((r) => readFile(join(dir, r, 'results.json'), 'utf8')))).map(
    (text) => JSON.parse(text) as RunResults,
  )
  const s = parseScenario(await readFile(file, 'utf8'))
  const expected = new DemandGenerator(s).until(s.start + (s.durationS - s.tickS) * 1000).length
  t.equal(w!.summary.requested + e!.summary.requested, expected, `the ${expected} requests of the scenario, made once between them`)
  t.ok(w!.summary.requested > 0 && e!.summary.requested > 0, `${w!.summary.requested} and ${e!.summary.requested}`)
  // The engine had each region's telemetry: it sent drones, and they picked the packages up.
  for (const [name, r] of [
    ['seattle', w!],
    ['kirkland, bellevue', e!],
  ] as const)
    t.ok(
      r.deliveries.some((d) => d.pickedUpAt !== null),
      `${name}: ${r.deliveries.filter((d) => d.assignedAt !== null).length} assigned, ${r.deliveries.filter((d) => d.pickedUpAt !== null).length} picked up`,
    )
})
