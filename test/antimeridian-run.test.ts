import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { lonDelta } from '../protocol/geo.js'
import type { RunResults } from '../sim/report/runResults.js'
import { runCli } from './helpers/cli.js'

/**
 * A whole run on the ±180° meridian: Taveuni, Fiji, with a depot on each
 * side of the line, drop-offs drawn across it and a no-fly zone astride it.
 * Before, drop-offs past 180° made the gateway answer 400 and `run` die
 * with exit 3; drones crossing the line had their frames refused whole.
 */
const SCENARIO = `name: taveuni
seed: 11
start: 2026-01-05T09:00:00Z
duration: 20 min
tick: 1 s
depots:
  - { id: waiyevo, position: [-16.80, 179.985], drones: 4 }
  - { id: matei, position: [-16.79, -179.988], drones: 4 }
demand:
  rate: 90 /h
  area: { center: [-16.80, 179.9995], radius: 2.5 km }
  weight: { min: 0.2 kg, max: 1.5 kg }
  deadline: 40 min
zones:
  - { id: reef, polygon: [[-16.812, 179.996], [-16.812, -179.996], [-16.808, -179.996], [-16.808, 179.996]] }
expect:
  requested: ">= 15"
  completionRate: ">= 0.5"
  failed: "<= 2"
`

t.test('a scenario straddling 180° runs to the end and meets its expect block', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dronefleet-antimeridian-'))
  const file = join(dir, 'taveuni.yaml')
  await writeFile(file, SCENARIO)
  const v = await runCli(['validate', file])
  t.equal(v.code, 0, `validates: ${v.stdout} ${v.stderr}`)
  const r = await runCli(['run', file, '--out', join(dir, 'out')])
  t.equal(r.code, 0, `exit 0: ${r.stdout.slice(-800)} ${r.stderr.slice(-800)}`)
  const res = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as RunResults
  t.ok(res.expectations.length === 3 && res.expectations.every((e) => e.ok), JSON.stringify(res.expectations))
  const done = res.deliveries.filter((d) => d.status === 'Completed')
  t.ok(
    res.deliveries.every((d) => d.dropoff.lon >= -180 && d.dropoff.lon <= 180),
    'every drop-off a valid longitude',
  )
  const east = done.filter((d) => d.dropoff.lon < 0).length
  t.ok(east > 0 && east < done.length, `completed on both sides of the meridian (${east} east, ${done.length - east} west)`)
  // Distances flown are those of the short way across the line, not round the world.
  t.ok(
    done.every((d) => d.distanceM > 0 && d.distanceM < 20_000),
    `distances ${Math.min(...done.map((d) => d.distanceM))}..${Math.max(...done.map((d) => d.distanceM))} m`,
  )
  t.ok(
    done.some((d) => Math.sign(lonDelta(180, d.pickup.lon)) !== Math.sign(lonDelta(180, d.dropoff.lon))),
    'some packages crossed the line',
  )
  t.equal(res.drones.filter((d) => d.failed).length, 0, 'no drone lost')
})
