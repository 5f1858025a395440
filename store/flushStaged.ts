import type pg from 'pg'
import { isTerminal } from '../protocol/events.js'
import type { StagedTables } from './StagedTables.js'

/**
 * Writes a staged group's changes to PostgreSQL (PostgresStore's commit), one
 * set-based statement per table, inside the group's transaction.
 */
export async function flushStaged(c: pg.PoolClient, t: StagedTables): Promise<void> {
  const cols = <T, R>(rows: T[], f: (r: T) => R): R[] => rows.map(f)
  if (t.newInbox.length > 0) {
    const r = t.newInbox
    await c.query(
      'INSERT INTO inbox (id, idem_key, fingerprint, region, request, accepted_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])',
      [
        cols(r, (x) => x.id),
        cols(r, (x) => x.key),
        cols(r, (x) => x.fingerprint),
        cols(r, (x) => x.region),
        cols(r, (x) => x.request),
        cols(r, (x) => x.acceptedAt),
      ],
    )
  }
  const staged = [...t.deliveries.values()].filter((s) => s.changed)
  const fresh = staged.filter((s) => s.isNew)
  if (fresh.length > 0) {
    await c.query(
      'INSERT INTO deliveries (n, id, region, status, terminal, body, engine_state) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::text[])',
      [
        cols(fresh, (s) => s.n),
        cols(fresh, (s) => s.d.id),
        cols(fresh, (s) => s.d.region),
        cols(fresh, (s) => s.d.status),
        cols(fresh, (s) => isTerminal(s.d.status)),
        cols(fresh, (s) => JSON.stringify(s.d)),
        cols(fresh, (s) => s.engineState ?? null),
      ],
    )
  }
  const changed = staged.filter((s) => !s.isNew)
  if (changed.length > 0) {
    await c.query(
      `UPDATE deliveries AS d SET status = u.status, terminal = u.terminal, body = u.body,
         engine_state = CASE WHEN u.keep THEN d.engine_state ELSE u.state END
       FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::bool[], $6::text[]) AS u(id, status, terminal, body, keep, state)
       WHERE d.id = u.id`,
      [
        cols(changed, (s) => s.d.id),
        cols(changed, (s) => s.d.status),
        cols(changed, (s) => isTerminal(s.d.status)),
        cols(changed, (s) => JSON.stringify(s.d)),
        cols(changed, (s) => s.engineState === undefined),
        cols(changed, (s) => s.engineState ?? null),
      ],
    )
  }
  if (t.newEvents.length > 0) {
    const r = t.newEvents
    await c.query(
      'INSERT INTO events (pos, delivery_id, seq, epoch, body) SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::text[])',
      [cols(r, (x) => x.pos), cols(r, (x) => x.deliveryId), cols(r, (x) => x.seq), cols(r, (x) => x.epoch), cols(r, (x) => x.body)],
    )
    const queued = r.filter((x) => !t.published.has(x.pos))
    if (queued.length > 0) {
      await c.query('INSERT INTO outbox (pos, region) SELECT * FROM unnest($1::bigint[], $2::text[])', [
        cols(queued, (x) => x.pos),
        cols(queued, (x) => x.region),
      ])
    }
  }
  if (t.published.size > 0) await c.query('DELETE FROM outbox WHERE pos = ANY($1::bigint[])', [[...t.published]])
  // A region's first fence is inserted, so two processes fencing it at once collide (and one retries) rather than overwrite.
  const fences = [...t.fences.entries()].filter(([, f]) => f.changed)
  const newFences = fences.filter(([, f]) => !f.existed)
  const raised = fences.filter(([, f]) => f.existed)
  if (newFences.length > 0) {
    await c.query('INSERT INTO fences (region, epoch) SELECT * FROM unnest($1::text[], $2::bigint[])', [
      cols(newFences, ([region]) => region),
      cols(newFences, ([, f]) => f.epoch),
    ])
  }
  if (raised.length > 0) {
    await c.query(
      'UPDATE fences AS f SET epoch = u.epoch FROM unnest($1::text[], $2::bigint[]) AS u(region, epoch) WHERE f.region = u.region',
      [cols(raised, ([region]) => region), cols(raised, ([, f]) => f.epoch)],
    )
  }
  // A region's first lease is inserted, as its first fence: two processes taking it at once collide, and one retries.
  const leases = [...t.leases.entries()].filter(([, l]) => l.changed)
  for (const [region, l] of leases) {
    if (l.existed) await c.query('UPDATE leases SET holder = $2, expires_at = $3 WHERE region = $1', [region, l.holder, l.expiresAt])
    else await c.query('INSERT INTO leases (region, holder, expires_at) VALUES ($1, $2, $3)', [region, l.holder, l.expiresAt])
  }
  for (const [region, l] of t.learned) {
    await c.query(
      'INSERT INTO learned (region, state, saved_at) VALUES ($1, $2, $3) ON CONFLICT (region) DO UPDATE SET state = EXCLUDED.state, saved_at = EXCLUDED.saved_at',
      [region, l.state, l.savedAt],
    )
  }
  const secrets = [...t.secrets.entries()].filter(([, s]) => s.isNew)
  if (secrets.length > 0) {
    await c.query('INSERT INTO secrets (name, value) SELECT * FROM unnest($1::text[], $2::text[])', [
      cols(secrets, ([name]) => name),
      cols(secrets, ([, s]) => s.value),
    ])
  }
}
