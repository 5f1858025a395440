import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { spawnCli, type Spawned } from './helpers/cli.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { freePort } from './helpers/freePort.js'

const KILLS = 10
const CLIENTS = 8
const order = { pickup: { lat: 47.611, lon: -122.331 }, dropoff: { lat: 47.615, lon: -122.335 }, weightKg: 1 }
const auth = { authorization: 'Bearer k' }

/**
 * SIGKILLs `serve` at random moments while clients POST with idempotency
 * keys, restarts it with the same flags and retries what went unanswered
 * with the same keys; then every key answered 202 names a delivery that
 * exists, and no key made two.
 */
async function crashLoop(t: Test, storeFlags: string[]): Promise<void> {
  const [http, mqtt, ws] = [await freePort(), await freePort(), await freePort()]
  const args = ['serve', ...storeFlags, '--http-port', String(http), '--mqtt-port', String(mqtt), '--ws-port', String(ws), '--api-key', 'k']
  const base = `http://127.0.0.1:${http}`
  const answered = new Map<string, string>()
  const pending: string[] = []
  let next = 0
  let server: Spawned | undefined
  t.teardown(() => {
    server?.child.kill('SIGKILL')
  })
  const start = async (): Promise<void> => {
    server = spawnCli(args, { DRONEFLEET_LOG: 'warn' })
    await server.waitFor(/http\s+http:\/\//)
  }
  /** One request for `key`; true when answered 202 (its id recorded, checked against an earlier answer). */
  const send = async (key: string): Promise<boolean> => {
    let res: Response
    try {
      res = await fetch(`${base}/v1/deliveries`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(order),
      })
    } catch {
      return false // killed under it: unanswered
    }
    if (res.status !== 202) return false
    const { id } = (await res.json()) as { id: string }
    const before = answered.get(key)
    if (before !== undefined && before !== id) t.fail(`key ${key} answered ${before} and then ${id}`)
    answered.set(key, id)
    return true
  }
  let running = true
  const client = async (): Promise<void> => {
    while (running) {
      const key = pending.shift() ?? `key-${next++}`
      if (!(await send(key))) {
        pending.push(key)
        if (running) await new Promise((r) => setTimeout(r, 20)) // the server is down: pace the retries
      }
    }
  }

  for (let kill = 0; kill < KILLS; kill++) {
    await start()
    running = true
    const clients = Array.from({ length: CLIENTS }, client)
    // A random moment: mid-request, mid-commit, mid-publish.
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 250))
    server!.child.kill('SIGKILL')
    await server!.exit
    running = false
    await Promise.all(clients)
  }
  await start()
  // Every key that may have been committed without an answer, retried with the same key.
  const unanswered = pending.splice(0)
  let retried = 0
  for (const key of unanswered) {
    let ok = false
    for (let i = 0; i < 50 && !ok; i++) ok = await send(key)
    if (ok) retried++
  }
  t.equal(retried, unanswered.length, `the ${unanswered.length} requests unanswered at the last kill, retried with their keys`)
  const keys = next
  t.ok(answered.size > KILLS, `${answered.size} deliveries answered over ${KILLS} kills`)
  t.equal(answered.size, keys, 'every key answered in the end')
  // A second retry of every key: the same id.
  let same = 0
  for (const [key, id] of answered) {
    const res = await fetch(`${base}/v1/deliveries`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(order),
    })
    if (res.status === 202 && ((await res.json()) as { id: string }).id === id) same++
  }
  t.equal(same, answered.size, 'every retried key gives its first id')
  let found = 0
  for (const id of answered.values()) if ((await fetch(`${base}/v1/deliveries/${id}`, { headers: auth })).status === 200) found++
  t.equal(found, answered.size, 'every delivery answered 202 exists')
  const listed: string[] = []
  let cursor: string | null = null
  do {
    const page = (await (await fetch(`${base}/v1/deliveries?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth })).json()) as {
      items: Array<{ id: string }>
      nextCursor: string | null
    }
    listed.push(...page.items.map((x) => x.id))
    cursor = page.nextCursor
  } while (cursor)
  t.equal(new Set(listed).size, listed.length, 'the list holds no delivery twice')
  t.equal(listed.length, keys, 'one delivery per key, none made twice')
  t.same(new Set(listed), new Set(answered.values()))
  server!.child.kill('SIGTERM')
  t.equal(await server!.exit, 0, 'a clean stop after all that')
}

t.test('embedded store: SIGKILL at random moments loses no answered delivery and makes none twice', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'df-serve-crash-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await crashLoop(t, ['--data', dir])
})

t.test('PostgreSQL store: the same', async (t) => {
  if (!(await requirePostgres(t))) return
  await crashLoop(t, ['--store', await tempDatabase(t)])
})
