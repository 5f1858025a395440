import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { runCli } from './helpers/cli.js'

const SHIFT_DATE = fileURLToPath(new URL('./helpers/shiftDate.cjs', import.meta.url))
const YEAR_MS = 365.25 * 24 * 3600 * 1000

/** A scenario in the past of any date this runs on, with requests from its very first tick, some with deadlines in its first minutes. */
const SCENARIO = `
name: any-date
seed: 7
start: 2024-01-05T09:00:00Z
duration: 3 min
speed: max
tick: 5 s
drone: { handling: 10 s }
depots:
  - { id: hub, position: [47.61, -122.33], drones: 6 }
demand:
  rate: 2000 /h
  area: { center: [47.61, -122.33], radius: 1.5 km }
  deadline: 20 min
`

/** results.json without wallClock (timings and delivery ids, which differ between any two runs). */
function comparable(json: string): unknown {
  const { wallClock: _, ...rest } = JSON.parse(json) as Record<string, unknown>
  return rest
}

t.test('run: the same file and seed give the same results.json whatever the date of the run', async (t) => {
  const dir = t.testdir({ 'any-date.yaml': SCENARIO })
  const runOn = async (years: number): Promise<unknown> => {
    const out = join(dir, `out${years}`)
    const r = await runCli(['run', join(dir, 'any-date.yaml'), '--out', out, '--workers', '2'], {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${SHIFT_DATE}`,
      DRONEFLEET_TEST_DATE_SHIFT_MS: String(Math.round(years * YEAR_MS)),
    })
    t.equal(r.code, 0, `the run ${years} years from now ends well: ${r.stderr.slice(-300)}`)
    const year = new Date(Date.now() + years * YEAR_MS).getUTCFullYear()
    t.match(r.stderr, new RegExp(`shifted clock \\(main\\): ${year}-`), `the run's main thread believed it ${year}`)
    t.match(r.stderr, new RegExp(`shifted clock \\(worker\\): ${year}-`), 'and so did its workers')
    return comparable(await readFile(join(out, 'results.json'), 'utf8'))
  }
  const before = await runOn(-10)
  const after = await runOn(10)
  t.same(after, before, 'ten years ago and ten years on, the same results')
  const results = after as {
    summary: { requested: number }
    deliveries: Array<{ requestedAt: number; assignedAt: number | null; status: string }>
  }
  t.ok(
    results.deliveries.some((d) => d.requestedAt <= Date.parse('2024-01-05T09:00:05Z')),
    'a request was made in the first tick',
  )
  t.ok(
    results.deliveries.every((d) => d.assignedAt === null || d.assignedAt >= d.requestedAt),
    'no delivery assigned before it was requested',
  )
})
