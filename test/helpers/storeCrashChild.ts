/**
 * The child of test/store-crash.test.ts: accepts deliveries and appends
 * their DeliveryCreated in a tight loop, group-committed, and reports each
 * acknowledged write on stdout, until it is killed.
 *
 *   node storeCrashChild.js <store spec> <run> [key…]
 *
 * The keys given are retried first (requests whose answer the last run may
 * have lost). Lines: `try <key> <id>` before an accept, `ack <key> <id>` once
 * it is committed (a replay names the id committed before), `ev <id> <seq>`
 * once an event is committed.
 */
import { openStore } from '../../store/openStore.js'
import type { AcceptInput } from '../../store/Store.js'

const [spec, runArg, ...retry] = process.argv.slice(2)
const run = Number(runArg)
if (!spec || !Number.isInteger(run)) throw new Error('usage: storeCrashChild <spec> <run> [key…]')
const store = await openStore(spec)
const say = (line: string): void => void process.stdout.write(`${line}\n`)
// Each run is a new engine incarnation: a newer epoch.
const writer = { region: 'default', epoch: run }

async function deliver(key: string, id: string): Promise<void> {
  const input: AcceptInput = {
    order: { id, pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.62, lon: -122.35 }, weightKg: 1, deadline: null },
    idempotencyKey: key,
    // The fingerprint follows the key: a retry is the same request.
    fingerprint: `fp-${key}`,
  }
  say(`try ${key} ${id}`)
  const r = await store.accept(input)
  if (r.kind === 'conflict') throw new Error(`conflict for ${key}`)
  say(`ack ${key} ${r.delivery.id}`)
  if (r.delivery.seq === 0) {
    const { pickup, dropoff, weightKg, deadline } = r.delivery
    const l = await store.append(writer, { type: 'DeliveryCreated', deliveryId: r.delivery.id, ts: 0, pickup, dropoff, weightKg, deadline })
    say(`ev ${r.delivery.id} ${l.seq}`)
  }
}

/** A fresh id per attempt, which names its key, so that a delivery whose `try` line died with the process still says which request made it. */
const idFor = (key: string): string => `del-${run}~${key}`

await Promise.all(retry.map((key) => deliver(key, idFor(key))))
say('ready')
await Promise.all(
  Array.from({ length: 16 }, async (_, w) => {
    for (let i = 0; ; i++) await deliver(`k-${run}-${w}-${i}`, idFor(`k-${run}-${w}-${i}`))
  }),
)
