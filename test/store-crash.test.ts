/**
 * Nothing acknowledged is lost: a child process accepts and appends in a
 * tight loop, group-committed, reporting each acknowledged write; it is
 * SIGKILLed at random moments and started again, each time retrying the
 * requests whose answer it may have lost. Then every acknowledged delivery
 * exists exactly once, with every acknowledged event. For the embedded
 * store and PostgreSQL.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { openStore } from '../store/openStore.js'
import type { StoredDelivery } from '../store/Store.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'

const CHILD = fileURLToPath(new URL('./helpers/storeCrashChild.js', import.meta.url))
const KILLS = 10

interface Ledger {
  /** key → the id acknowledged for it. */
  acked: Map<string, string>
  /** id → the key it was tried for, as far as the child said before it died. */
  keyOf: Map<string, string>
  /** id → the highest acknowledged event sequence number. */
  events: Map<string, number>
  /** A retried key answered with another id than the acknowledged one. */
  mismatches: string[]
}

/** One run of the child: resolves once it is SIGKILLed, some random time after its first acknowledgements. */
function runChild(spec: string, run: number, retry: string[], ledger: Ledger): Promise<number> {
  const child = spawn(process.execPath, [CHILD, spec, String(run), ...retry], { stdio: ['ignore', 'pipe', 'pipe'] })
  let partial = ''
  let acks = 0
  let err = ''
  let killTimer: NodeJS.Timeout | undefined
  child.stderr.on('data', (d) => {
    err += String(d)
  })
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const [what, a, b] = line.split(' ') as [string, string, string]
      if (what === 'try') ledger.keyOf.set(b, a)
      else if (what === 'ack') {
        const before = ledger.acked.get(a)
        if (before !== undefined && before !== b) ledger.mismatches.push(`${a}: ${before} then ${b}`)
        ledger.acked.set(a, b)
        // A random moment once it is under way: mid-group, mid-fsync, between groups.
        if (++acks === 20) killTimer = setTimeout(() => child.kill('SIGKILL'), Math.random() * 150)
      } else if (what === 'ev') ledger.events.set(a, Math.max(ledger.events.get(a) ?? 0, Number(b)))
    }
  })
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`run ${run} made no progress; stderr: ${err.slice(-500)}`))
    }, 60_000)
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      clearTimeout(killTimer)
      if (signal !== 'SIGKILL') reject(new Error(`run ${run} ended by itself (${code}); stderr: ${err.slice(-500)}`))
      else resolve(acks)
    })
  })
}

async function crashAndCount(t: Test, spec: string): Promise<void> {
  const ledger: Ledger = { acked: new Map(), keyOf: new Map(), events: new Map(), mismatches: [] }
  for (let run = 1; run <= KILLS; run++) {
    // Keys tried but never acknowledged (their answer may be lost), and a few acknowledged ones, which must replay.
    const unanswered = [...new Set(ledger.keyOf.values())].filter((k) => !ledger.acked.has(k)).slice(0, 100)
    const answered = [...ledger.acked.keys()].slice(-3)
    await runChild(spec, run, [...unanswered, ...answered], ledger)
  }
  t.ok(ledger.acked.size > KILLS * 20, `${ledger.acked.size} deliveries acknowledged over ${KILLS} kills`)
  t.same(ledger.mismatches, [], 'a retried key always got the id acknowledged before')

  const store = await openStore(spec)
  t.teardown(() => store.close())
  const all: StoredDelivery[] = []
  for (let after: string | undefined; ; ) {
    const page = await store.list({ limit: 1000, ...(after !== undefined ? { after } : {}) })
    all.push(...page.items)
    if (page.next === null) break
    after = page.next
  }
  // The child's ids name their key (del-<run>~<key>): a request whose `try` line was lost with the process still counts.
  const keyOf = (id: string): string | undefined => /^del-\d+~(k-\d+-\d+-\d+)$/.exec(id)?.[1]
  const byKey = new Map<string, string[]>()
  for (const d of all) {
    const key = keyOf(d.id)
    if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), d.id])
  }
  t.equal(all.filter((d) => keyOf(d.id) === undefined).length, 0, 'every stored delivery was requested')
  t.same(
    [...byKey].filter(([, ids]) => ids.length > 1),
    [],
    'no key made two deliveries',
  )
  const lost = [...ledger.acked].filter(([key, id]) => byKey.get(key)?.[0] !== id)
  t.same(lost, [], 'every acknowledged delivery exists, under its acknowledged id')
  let eventsLost = 0
  let gaps = 0
  for (const [id, seq] of ledger.events) {
    const seqs = (await store.events(id)).map((l) => l.seq)
    if ((seqs[seqs.length - 1] ?? 0) < seq) eventsLost++
    if (seqs.some((s, i) => s !== i + 1)) gaps++
  }
  t.equal(eventsLost, 0, `every acknowledged event exists (${ledger.events.size} checked)`)
  t.equal(gaps, 0, 'sequence numbers have no gap and no repeat')
  t.same(
    (
      await store.accept({
        order: { id: 'del-check', pickup: { lat: 0, lon: 0 }, dropoff: { lat: 0, lon: 0 }, weightKg: 1, deadline: null },
        idempotencyKey: [...ledger.acked.keys()][0] as string,
        fingerprint: `fp-${[...ledger.acked.keys()][0]}`,
      })
    ).kind,
    'replay',
    'after the last kill, an acknowledged key still replays',
  )
}

t.test('embedded store: SIGKILL at random moments loses nothing acknowledged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'df-crash-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await crashAndCount(t, dir)
})

t.test('PostgreSQL store: SIGKILL at random moments loses nothing acknowledged', async (t) => {
  if (!(await requirePostgres(t))) return
  await crashAndCount(t, await tempDatabase(t))
})
