import t from 'tap'
import { openStore } from '../store/openStore.js'
import { spawnCli, type Spawned } from './helpers/cli.js'
import { requireMosquittoBinary, startOwnMosquitto } from './helpers/ownMosquitto.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { until } from './helpers/until.js'
import { freePort } from './helpers/freePort.js'
import { regionOwners } from './helpers/regionOwners.js'

const SCENARIO = 'scenarios/three-cities.yaml'
const KEY = 'failover-key'
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
/** A pickup and a drop-off in each region of the scenario. */
const TRIPS: Record<string, { pickup: { lat: number; lon: number }; dropoff: { lat: number; lon: number } }> = {
  seattle: { pickup: { lat: 47.62, lon: -122.33 }, dropoff: { lat: 47.63, lon: -122.32 } },
  kirkland: { pickup: { lat: 47.68, lon: -122.2 }, dropoff: { lat: 47.69, lon: -122.19 } },
  bellevue: { pickup: { lat: 47.61, lon: -122.19 }, dropoff: { lat: 47.6, lon: -122.18 } },
}
const LEASES = { DRONEFLEET_LEASE_TTL_MS: '3000', DRONEFLEET_LEASE_RENEW_MS: '500', DRONEFLEET_LOG: 'warn' }

t.test(
  'three engines and two gateways on Mosquitto and PostgreSQL: a killed engine’s regions move, a killed gateway’s clients go to the other',
  async (t) => {
    if (!requireMosquittoBinary(t) || !(await requirePostgres(t))) return
    const broker = await startOwnMosquitto(t)
    const db = await tempDatabase(t)
    const store = await openStore(db)
    t.teardown(() => store.close())
    const children: Spawned[] = []
    t.teardown(() => {
      for (const c of children) c.child.kill('SIGKILL')
    })
    const common = ['--store', db, '--broker', broker.url, '--scenario', SCENARIO, '--api-key', KEY]
    const engine = async (name: string): Promise<Spawned> => {
      const c = spawnCli(['serve', '--role', 'engine', '--holder', name, '--http-port', String(await freePort()), ...common], LEASES)
      children.push(c)
      await c.waitFor(/http\s+(http:\/\/\S+)/)
      return c
    }
    const gateway = async (): Promise<{ c: Spawned; url: string }> => {
      const c = spawnCli(
        ['serve', '--role', 'gateway', '--http-port', String(await freePort()), '--ws-port', String(await freePort()), ...common],
        LEASES,
      )
      children.push(c)
      const [, url] = await c.waitFor(/http\s+(http:\/\/\S+)/)
      return { c, url: url! }
    }
    const engines = new Map<string, Spawned>()
    for (const name of ['e1', 'e2', 'e3']) engines.set(name, await engine(name))
    const spread = await until(
      async () => {
        const o = await regionOwners(store)
        return o.size === 3 && new Set(o.values()).size === 3 ? o : undefined
      },
      15_000,
      'the three regions spread over the three engines',
    )
    t.same([...spread.keys()].sort(), ['bellevue', 'kirkland', 'seattle'], `one region each: ${JSON.stringify([...spread])}`)

    const [g1, g2] = [await gateway(), await gateway()]
    await until(
      async () => ((await fetch(`${g1.url}/readyz`)).ok && (await fetch(`${g2.url}/readyz`)).ok) || undefined,
      15_000,
      'both gateways ready',
    )

    /** POSTs a delivery to a gateway; returns its id once the region's engine created it (seq ≥ 1 in the store). */
    const post = async (url: string, region: string, key: string): Promise<string> => {
      const res = await fetch(`${url}/v1/deliveries`, {
        method: 'POST',
        headers: { ...auth, 'idempotency-key': key },
        body: JSON.stringify({ ...TRIPS[region], weightKg: 1 }),
      })
      t.equal(res.status, 202, `${region} via ${url}: 202`)
      return ((await res.json()) as { id: string }).id
    }
    const created = (id: string) =>
      until(async () => ((await store.get(id))?.seq ?? 0) > 0 || undefined, 15_000, `${id} created by its engine`)
    const before: Record<string, string> = {}
    for (const [k, region] of Object.keys(TRIPS).entries())
      before[region] = await post(k % 2 === 0 ? g1.url : g2.url, region, `before-${region}`)
    for (const [region, id] of Object.entries(before)) {
      await created(id)
      t.equal((await store.get(id))?.region, region, `${id} is in ${region}`)
    }
    const out = await fetch(`${g1.url}/v1/deliveries`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ pickup: { lat: 10, lon: 10 }, dropoff: { lat: 10.01, lon: 10 }, weightKg: 1 }),
    })
    t.equal(out.status, 422, 'a pickup outside every region is refused')
    t.match(await out.json(), { errors: [{ field: '/pickup' }] })

    // SIGKILL the engine holding kirkland: its lease lapses and another engine takes the region.
    const victim = spread.get('kirkland') as string
    const killedAt = Date.now()
    engines.get(victim)!.child.kill('SIGKILL')
    await engines.get(victim)!.exit
    // Accepted while nobody owns the region (its lease has not lapsed yet): the store has it, the next owner creates it.
    const orphan = await post(g1.url, 'kirkland', 'orphan-kirkland')
    const after = await until(
      async () => {
        const o = await regionOwners(store)
        const h = o.get('kirkland')
        return h && h !== victim ? o : undefined
      },
      10_000,
      'kirkland taken over',
    )
    const movedMs = Date.now() - killedAt
    t.ok(movedMs < 10_000, `kirkland moved from ${victim} to ${after.get('kirkland')} in ${movedMs} ms (lease 3 s)`)
    // Any other region the victim held lapses on its own lease: taken over by whichever engine renews first.
    const settled = await until(
      async () => {
        const o = await regionOwners(store)
        return o.size === 3 && ![...o.values()].includes(victim) ? o : undefined
      },
      10_000,
      'every region held by a live engine',
    )
    const allMovedMs = Date.now() - killedAt
    t.ok(allMovedMs < 15_000, `every region the dead engine held has a live owner ${allMovedMs} ms after the kill`)
    t.equal(settled.size, 3, 'every region is held')
    await created(orphan)
    t.pass('a request accepted while nobody owned its region is created by the next owner')
    const late = await post(g2.url, 'kirkland', 'after-kirkland')
    await created(late)
    t.pass('a request to the moved region is created by its new engine')
    t.match(
      await store.get(before.kirkland!),
      { status: 'Created', region: 'kirkland' },
      'the delivery accepted before the kill is still there, open',
    )

    // Kill a gateway: the other answers for every delivery, and takes new ones.
    g1.c.child.kill('SIGKILL')
    await g1.c.exit
    for (const id of [...Object.values(before), orphan, late]) {
      const res = await fetch(`${g2.url}/v1/deliveries/${id}`, { headers: auth })
      t.equal(res.status, 200, `${id} readable on the surviving gateway`)
    }
    await created(await post(g2.url, 'seattle', 'after-gateway'))

    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM')
    for (const c of children) await c.exit
  },
)
