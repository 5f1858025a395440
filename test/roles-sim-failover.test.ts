import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import { isTerminal, type DeliveryEvent } from '../protocol/events.js'
import { openStore } from '../store/openStore.js'
import { spawnCli, type Spawned } from './helpers/cli.js'
import { requireMosquittoBinary, startOwnMosquitto } from './helpers/ownMosquitto.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { until } from './helpers/until.js'
import { freePort } from './helpers/freePort.js'
import { regionOwners } from './helpers/regionOwners.js'

const KEY = 'regions-key'
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
const ENV = { DRONEFLEET_LEASE_TTL_MS: '3000', DRONEFLEET_LEASE_RENEW_MS: '500', DRONEFLEET_LOG: 'warn' }

/** Three neighbouring districts, three drones each, three minutes of demand, then time for every delivery to end. */
const SCENARIO = `
name: regions-failover
seed: 5
start: 2026-01-05T09:00:00Z
duration: 12 min
tick: 1 s
regions:
  - id: seattle
    polygon: [[47.62, -122.36], [47.62, -122.34], [47.60, -122.34], [47.60, -122.36]]
  - id: kirkland
    polygon: [[47.62, -122.34], [47.62, -122.32], [47.60, -122.32], [47.60, -122.34]]
  - id: bellevue
    polygon: [[47.62, -122.32], [47.62, -122.30], [47.60, -122.30], [47.60, -122.32]]
depots:
  - { id: seattle, position: [47.61, -122.35], drones: 3 }
  - { id: kirkland, position: [47.61, -122.33], drones: 3 }
  - { id: bellevue, position: [47.61, -122.31], drones: 3 }
demand:
  rate: 150 /h
  phases: [{ at: 3 min, rate: 0 /h }]
  area: { center: [47.61, -122.33], radius: 2 km }
  hotspots:
    - { center: [47.613, -122.352], radius: 400 m }
    - { center: [47.607, -122.328], radius: 400 m }
    - { center: [47.613, -122.308], radius: 400 m }
  weight: { min: 0.2 kg, max: 2 kg }
  deadline: 60 min
`

/** The drones a delivery's history assigned it to, in order; a problem when two held it at once. */
function twoDrones(history: DeliveryEvent[]): string | null {
  let drone: string | null = null
  for (const e of history) {
    if (e.type === 'DroneAssigned') {
      if (drone !== null) return `DroneAssigned ${e.droneId} while assigned to ${drone}`
      drone = e.droneId
    } else if (e.type === 'DeliveryReassigned') drone = e.toDroneId
    else if (e.type === 'DroneLost') drone = null
  }
  return null
}

t.test(
  'a simulator flies three regions over three engines and two gateways; an engine and a gateway are SIGKILLed mid-run; nothing is lost',
  async (t) => {
    if (!requireMosquittoBinary(t) || !(await requirePostgres(t))) return
    const dir = await mkdtemp(join(tmpdir(), 'df-regions-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const file = join(dir, 'regions.yaml')
    await writeFile(file, SCENARIO)
    const broker = await startOwnMosquitto(t)
    const db = await tempDatabase(t)
    const store = await openStore(db)
    t.teardown(() => store.close())
    const children: Spawned[] = []
    t.teardown(() => {
      for (const c of children) c.child.kill('SIGKILL')
    })
    const common = ['--store', db, '--broker', broker.url, '--scenario', file, '--api-key', KEY]
    const engines = new Map<string, Spawned>()
    for (const name of ['e1', 'e2', 'e3']) {
      const c = spawnCli(['serve', '--role', 'engine', '--holder', name, '--http-port', String(await freePort()), ...common], ENV)
      children.push(c)
      engines.set(name, c)
      await c.waitFor(/http\s+http:\/\//)
    }
    const gateway = async (): Promise<{ c: Spawned; http: string; ws: string }> => {
      const c = spawnCli(
        ['serve', '--role', 'gateway', '--http-port', String(await freePort()), '--ws-port', String(await freePort()), ...common],
        ENV,
      )
      children.push(c)
      const [, http] = await c.waitFor(/http\s+(http:\/\/\S+)/)
      const [, ws] = await c.waitFor(/websocket\s+(ws:\/\/[^/\s]+)/)
      return { c, http: http!, ws: ws! }
    }
    const [g1, g2] = [await gateway(), await gateway()]
    await until(
      async () => ((await regionOwners(store)).size === 3 && (await fetch(`${g1.http}/readyz`)).ok) || undefined,
      15_000,
      'regions held, gateways ready',
    )

    const sim = spawnCli([
      'sim',
      file,
      '--broker',
      broker.url,
      '--gateway',
      g1.http,
      '--api-key',
      KEY,
      '--speed',
      '12',
      '--start',
      'scenario',
      '--workers',
      '1',
      // The failover is timed by the test; the sim only needs to outlast it on a busy machine.
      '--engine-timeout',
      '120',
      '--out',
      join(dir, 'out'),
    ])
    children.push(sim)
    let simDone = false
    void sim.exit.then(() => {
      simDone = true
    })

    // A customer of Kirkland orders on the second gateway and watches it there.
    const res = await fetch(`${g2.http}/v1/deliveries`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.614, lon: -122.326 }, weightKg: 1 }),
    })
    t.equal(res.status, 202, 'the customer’s order is accepted by the second gateway')
    const order = (await res.json()) as { id: string; trackingToken: string }
    let tracking = 0
    let trackingAfterGatewayKill = 0
    let gatewayKilled = false
    const watch = (base: string): WebSocket => {
      const ws = new WebSocket(`${base}/v1/track/${order.id}?token=${order.trackingToken}`)
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string }
        if (m.type !== 'tracking') return
        tracking++
        if (gatewayKilled) trackingAfterGatewayKill++
      })
      // Its own gateway gone, the customer's page reconnects to the other (a load balancer's job in production).
      ws.on('close', () => {
        if (gatewayKilled && !simDone && base === g2.ws) watchers.push(watch(g1.ws))
      })
      ws.on('error', () => undefined)
      return ws
    }
    const watchers = [watch(g2.ws)]
    t.teardown(() => {
      for (const w of watchers) w.terminate()
    })
    await until(() => (tracking > 0 || simDone ? true : undefined), 30_000, 'the customer’s first tracking message')
    if (!t.ok(tracking > 0, `the customer sees the drone${simDone ? `; the sim had already ended: ${sim.stderr().slice(-600)}` : ''}`))
      return

    // Mid-run: SIGKILL the engine holding Kirkland (the customer's region).
    const before = await regionOwners(store)
    const victim = before.get('kirkland') as string
    const killedAt = Date.now()
    engines.get(victim)!.child.kill('SIGKILL')
    await engines.get(victim)!.exit
    const moved = await until(
      async () => {
        const h = (await regionOwners(store)).get('kirkland')
        return h && h !== victim ? h : undefined
      },
      10_000,
      'kirkland held again',
    )
    t.ok(Date.now() - killedAt < 10_000, `kirkland moved from ${victim} to ${moved} within 10 s (${Date.now() - killedAt} ms)`)
    const atMove = tracking
    await until(() => (tracking > atMove || simDone ? true : undefined), 30_000, 'tracking from the new engine')
    t.ok(tracking > atMove, 'the customer keeps receiving tracking after the failover')

    // Then SIGKILL the customer's gateway: the page reconnects to the other and keeps receiving.
    gatewayKilled = true
    g2.c.child.kill('SIGKILL')
    await g2.c.exit
    await until(() => (trackingAfterGatewayKill > 0 || simDone ? true : undefined), 30_000, 'tracking through the other gateway')
    t.ok(
      trackingAfterGatewayKill > 0,
      `the customer, reconnected to the other gateway, keeps receiving tracking (${trackingAfterGatewayKill} messages)`,
    )

    const code = await sim.exit
    t.equal(code, 0, `the sim flew the whole run; stderr: ${sim.stderr().slice(-400)}`)
    const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as { deliveries: unknown[] }
    t.ok(results.deliveries.length >= 5, `${results.deliveries.length} deliveries requested by the sim`)

    const all: Array<{ id: string; status: string; region: string }> = []
    let cursor: string | null = null
    do {
      const page = (await (
        await fetch(`${g1.http}/v1/deliveries?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth })
      ).json()) as {
        items: Array<{ id: string; status: string }>
        nextCursor: string | null
      }
      for (const d of page.items) all.push({ ...d, region: (await store.get(d.id))?.region ?? '?' })
      cursor = page.nextCursor
    } while (cursor)
    t.equal(all.length, results.deliveries.length + 1, 'every delivery accepted is there: the sim’s and the customer’s')
    t.same(new Set(all.map((d) => d.region)), new Set(['seattle', 'kirkland', 'bellevue']), 'in all three regions')
    const open = all.filter((d) => !isTerminal(d.status as never)).map((d) => `${d.id} ${d.status} (${d.region})`)
    t.same(open, [], 'every accepted delivery reached a terminal state')
    const doubled: string[] = []
    for (const d of all) {
      const problem = twoDrones((await store.get(d.id))?.history ?? [])
      if (problem) doubled.push(`${d.id}: ${problem}`)
    }
    t.same(doubled, [], 'none was assigned to two drones')
    const statuses: Record<string, number> = {}
    for (const d of all) statuses[d.status] = (statuses[d.status] ?? 0) + 1
    t.comment(`statuses: ${JSON.stringify(statuses)}`)
    t.ok((statuses.Completed ?? 0) >= all.length - 1, 'and they completed')

    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM')
    for (const c of children) await c.exit
  },
)
