import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { isTerminal, type DeliveryEvent, type DeliveryStatus } from '../protocol/events.js'
import { spawnCli, type Spawned } from './helpers/cli.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { until } from './helpers/until.js'
import { freePort } from './helpers/freePort.js'

const KILLS = 10
const auth = { authorization: 'Bearer k' }

/**
 * Four drones, one depot, three minutes of demand, then time for every
 * delivery to finish while the simulator still flies: a delivery still open
 * at the end would be failed later by the fleet going silent, which proves
 * nothing, so each must reach its terminal state within the simulated run.
 */
const SCENARIO = `
name: crash-sim
seed: 11
start: 2026-01-05T09:00:00Z
duration: 12 min
speed: max
tick: 1 s
depots:
  - { id: hub, position: [47.61, -122.33], drones: 4 }
demand:
  rate: 150 /h
  phases: [{ at: 3 min, rate: 0 /h }]
  area: { center: [47.61, -122.33], radius: 1.5 km }
  weight: { min: 0.2 kg, max: 2 kg }
  deadline: 40 min
`
const START = Date.parse('2026-01-05T09:00:00Z')
const END = START + 12 * 60_000

interface Listed {
  id: string
  status: DeliveryStatus
  dropoff: { lat: number; lon: number }
  weightKg: number
  deadline: number | null
}
interface SimDelivery {
  request: number
  status: string
  dropoff: { lat: number; lon: number }
  weightKg: number
  deadline: number
}

/** What a request is known by on both sides: results.json carries no delivery id. */
const shape = (d: { dropoff: { lat: number; lon: number }; weightKg: number; deadline: number | null }): string =>
  `${d.dropoff.lat},${d.dropoff.lon},${d.weightKg},${d.deadline}`

/**
 * The drone a delivery is assigned to, replayed from its history: a
 * DroneAssigned only while it has none, a DeliveryReassigned only from the
 * drone it has (or lost), nothing assigned after a terminal event. Returns what is
 * inconsistent, or null.
 */
function assignmentProblem(history: DeliveryEvent[]): string | null {
  let drone: string | null = null
  /** After DroneLost the delivery has no drone; its reassignment names the lost one. */
  let lost: string | null = null
  let ended = false
  for (const e of history) {
    if (ended && (e.type === 'DroneAssigned' || e.type === 'DeliveryReassigned')) return `${e.type} after the delivery ended`
    if (e.type === 'DroneAssigned') {
      if (drone !== null) return `DroneAssigned ${e.droneId} while assigned to ${drone}`
      drone = e.droneId
    } else if (e.type === 'DeliveryReassigned') {
      if ((drone ?? lost) !== e.fromDroneId)
        return `DeliveryReassigned from ${e.fromDroneId} while assigned to ${drone ?? `none (lost ${lost})`}`
      drone = e.toDroneId
      lost = null
    } else if ((e.type === 'PackagePickedUp' || e.type === 'DeliveryCompleted' || e.type === 'DroneLost') && e.droneId !== drone) {
      return `${e.type} ${e.droneId} while assigned to ${drone}`
    }
    if (e.type === 'DroneLost') [lost, drone] = [drone, null]
    if (e.type === 'DeliveryCompleted' || e.type === 'DeliveryCancelled' || e.type === 'DeliveryFailed') ended = true
  }
  return null
}

/**
 * `sim` flies a small scenario against `serve` while `serve` is SIGKILLed at
 * random moments and restarted with the same flags; afterwards every delivery
 * the sim was answered 202 for exists once in the store, reached a terminal
 * state within the run, and was never held by two drones at once.
 */
async function flyThroughKills(t: Test, storeFlags: string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'df-serve-crash-sim-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'crash-sim.yaml')
  await writeFile(file, SCENARIO)
  const [http, mqtt, ws] = [await freePort(), await freePort(), await freePort()]
  const args = [
    'serve',
    ...storeFlags,
    '--scenario',
    file,
    '--http-port',
    String(http),
    '--mqtt-port',
    String(mqtt),
    '--ws-port',
    String(ws),
    '--api-key',
    'k',
    '--show-secrets', // its sim line carries the broker password
  ]
  const base = `http://127.0.0.1:${http}`
  let server: Spawned | undefined
  let sim: Spawned | undefined
  t.teardown(() => {
    server?.child.kill('SIGKILL')
    sim?.child.kill('SIGKILL')
  })
  /** Starts serve; the sim URL it prints (the same after every restart: its password is in the store). */
  const start = async (): Promise<string> => {
    server = spawnCli(args, { DRONEFLEET_LOG: 'warn' })
    const [, brokerUrl] = await server.waitFor(
      /sim\s+DRONEFLEET_BROKER='(\S+)' DRONEFLEET_API_KEY=<key> dronefleet sim <scenario> --gateway /,
    )
    await server.waitFor(/http\s+http:\/\//)
    return brokerUrl!
  }

  const brokerUrl = await start()
  sim = spawnCli([
    'sim',
    file,
    '--broker',
    brokerUrl,
    '--gateway',
    base,
    '--api-key',
    'k',
    '--speed',
    '20',
    '--start',
    'scenario',
    '--workers',
    '1',
    // A restart on a busy machine (two suites side by side) can take longer than the default 15 s.
    '--engine-timeout',
    '120',
    '--out',
    join(dir, 'out'),
  ])
  let simDone = false
  void sim.exit.then(() => {
    simDone = true
  })
  // The sim fails at once on a broker or gateway it never reached (a wrong flag, not an outage):
  // the kills start once it flies and has been answered.
  await until(
    async () => {
      if (simDone) return true
      const page = (await (await fetch(`${base}/v1/deliveries?limit=1`, { headers: auth })).json()) as { items: unknown[] }
      return page.items.length > 0 ? true : undefined
    },
    15_000,
    'the first delivery from the sim',
  )
  let kills = 0
  const urls = new Set([brokerUrl])
  while (kills < KILLS && !simDone) {
    // A random moment: mid-tick, mid-commit, mid-publish, mid-POST, mid-recovery.
    await Promise.race([sim.exit, new Promise((r) => setTimeout(r, 1000 + Math.random() * 2500))])
    if (simDone) break
    server!.child.kill('SIGKILL')
    await server!.exit
    kills++
    urls.add(await start())
  }
  const code = await sim.exit
  t.equal(code, 0, `the sim flew through ${kills} kills; stderr: ${sim.stderr().slice(-600)}`)
  t.ok(kills >= 5, `${kills} kills while the sim flew`)
  t.equal(urls.size, 1, 'the sim URL stays the same across restarts')

  const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as { deliveries: SimDelivery[] }
  const listed: Listed[] = []
  let cursor: string | null = null
  do {
    const page = (await (await fetch(`${base}/v1/deliveries?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth })).json()) as {
      items: Listed[]
      nextCursor: string | null
    }
    listed.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  t.ok(results.deliveries.length >= 5, `${results.deliveries.length} deliveries answered 202`)
  t.equal(new Set(listed.map((d) => d.id)).size, listed.length, 'the list holds no delivery twice')
  t.equal(listed.length, results.deliveries.length, 'one delivery in the store per request answered 202, none made twice')
  const byShape = new Map<string, Listed[]>()
  for (const d of listed) byShape.set(shape(d), [...(byShape.get(shape(d)) ?? []), d])
  const unmatched = results.deliveries.filter((d) => byShape.get(shape(d))?.length !== 1).map((d) => d.request)
  t.same(unmatched, [], 'every request answered 202 is in the store exactly once')

  const statuses = new Map<string, number>()
  const open: string[] = []
  const late: string[] = []
  const inconsistent: string[] = []
  const failed: string[] = []
  for (const { id } of listed) {
    const snap = (await (await fetch(`${base}/v1/deliveries/${id}`, { headers: auth })).json()) as {
      status: DeliveryStatus
      history: DeliveryEvent[]
    }
    statuses.set(snap.status, (statuses.get(snap.status) ?? 0) + 1)
    const last = snap.history.at(-1)
    if (!isTerminal(snap.status)) open.push(`${id} ${snap.status}: ${snap.history.map((e) => e.type).join(' ')}`)
    else if (last === undefined || last.ts > END) late.push(`${id} ${snap.status} at ${last && new Date(last.ts).toISOString()}`)
    if (snap.status !== 'Completed') failed.push(`${id} ${snap.status}: ${snap.history.map((e) => e.type).join(' ')}`)
    if (snap.status !== 'Completed') t.comment(`${id} ${snap.status}: ${JSON.stringify(snap.history.map(({ deliveryId: _, ...e }) => e))}`)
    const problem = assignmentProblem(snap.history)
    if (problem)
      inconsistent.push(`${id}: ${problem}; ${snap.history.map((e) => `${e.type}${'droneId' in e ? ` ${e.droneId}` : ''}`).join(', ')}`)
  }
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
  t.same(open, [], 'no delivery stays open')
  t.same(late, [], 'each reached its terminal state within the simulated run')
  t.same(inconsistent, [], 'no delivery assigned to two drones at once: each DroneAssigned/DeliveryReassigned chain is consistent')
  t.same(failed, [], 'none failed because of the kills: the fleet is idle enough to complete them all')
  const simOpen = results.deliveries.filter((d) => !isTerminal(d.status as DeliveryStatus)).map((d) => `${d.request} ${d.status}`)
  t.same(simOpen, [], 'the sim saw each of them end too (what its observer missed while away, it read from the gateway)')

  server!.child.kill('SIGTERM')
  t.equal(await server!.exit, 0, 'a clean stop after all that')
}

t.test('embedded store: a simulator flies the fleet through SIGKILLs of serve; every delivery ends, once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'df-serve-crash-sim-data-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await flyThroughKills(t, ['--data', dir])
})

t.test('PostgreSQL store: the same', async (t) => {
  if (!(await requirePostgres(t))) return
  await flyThroughKills(t, ['--store', await tempDatabase(t)])
})
