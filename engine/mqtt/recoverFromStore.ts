import type { Logger } from 'pino'
import type { DeliveryRequest } from '../../protocol/requests.js'
import type { Store, StoredDelivery } from '../../store/Store.js'
import type { Engine } from '../Engine.js'
import type { DeliveryState } from '../records.js'
import type { Outbox } from './Outbox.js'

/** What a start found in the store. */
export interface Recovery {
  /** Logged events published again (the previous engine may have died before publishing them). */
  republished: number
  /** Open deliveries taken back from their engine state. */
  restored: number
  /** Deliveries accepted by the gateway that no engine had created: created as soon as the engine has a clock. */
  created: number
  /** Open deliveries with neither engine state nor seq 0: left alone (logged). */
  skipped: number
  /** What the region's previous engine learned was taken back (a state that cannot be read is logged and left). */
  learned: boolean
}

/**
 * Recovery at start (store/README.md "The order of things", step 3): the
 * outbox's unpublished events go out again (consumers skip by seq), what
 * the region's previous engine learned is taken back (Engine.restoreLearned,
 * before anything is planned with it), open
 * deliveries are restored into the engine (which sends drones their missions
 * again), and accepted deliveries that were never created are returned, for
 * the adapter to create once it knows the event time.
 */
export async function recoverFromStore(
  engine: Engine,
  store: Store,
  region: string,
  outbox: Outbox,
  logger: Logger | undefined,
): Promise<{ recovery: Recovery; accepted: StoredDelivery[] }> {
  const again = await store.unpublished({ region })
  void outbox.republish(again)
  const learned = restoreLearned(engine, await store.learned(region), logger)
  const open = await store.openDeliveries(region)
  const states: DeliveryState[] = []
  let skipped = 0
  for (const { delivery, engineState } of open) {
    if (delivery.seq === 0) continue
    const s = engineState === null ? undefined : parseState(engineState)
    if (s && s.record.id === delivery.id) states.push(s)
    else skipped++
  }
  engine.restore(states)
  // Created by the caller once the engine has a clock: stamped now, they would carry the wall clock's date.
  const accepted = open.map((o) => o.delivery).filter((d) => awaitsEngine(engine, d))
  if (skipped > 0) logger?.warn({ skipped }, 'open deliveries without a usable engine state were left as they are')
  const created = accepted.filter((d) => d.seq === 0).length
  const recovery = { republished: again.length, restored: states.length, created, skipped, learned }
  logger?.info(recovery, 'recovered from the store')
  return { recovery, accepted }
}

/** Accepted and not created by this engine (seq 0), or with a cancel or change committed for it: what applyAccepted acts on. */
export function awaitsEngine(engine: Engine, d: StoredDelivery): boolean {
  return (d.seq === 0 && !engine.delivery(d.id)) || d.requested !== undefined
}

/**
 * Applies what the gateway accepted that the engine may not have been told
 * (the request was lost between the store and the broker, or with a crashed
 * engine): creates the deliveries it does not know (seq 0), then applies the
 * cancels and reschedules committed for open ones (each is a no-op when
 * already applied: a cancel of an ended delivery, a reschedule to what it
 * has). Returns how many it created.
 */
export function applyAccepted(engine: Engine, deliveries: readonly StoredDelivery[], now: () => number): number {
  let n = 0
  for (const d of deliveries) {
    if (d.seq === 0 && !engine.delivery(d.id)) {
      engine.handleRequest(
        { type: 'CreateDelivery', id: d.id, pickup: d.pickup, dropoff: d.dropoff, weightKg: d.weightKg, deadline: d.deadline },
        now(),
      )
      n++
    }
    const asked = d.requested
    if (!asked || !engine.delivery(d.id)) continue
    if (asked.cancel !== undefined) engine.handleRequest({ type: 'CancelDelivery', id: d.id, reason: asked.cancel }, now())
    else if (asked.dropoff !== undefined || asked.deadline !== undefined) {
      const r: DeliveryRequest = { type: 'RescheduleDelivery', id: d.id }
      if (asked.dropoff !== undefined) r.dropoff = asked.dropoff
      if (asked.deadline !== undefined) r.deadline = asked.deadline
      engine.handleRequest(r, now())
    }
  }
  return n
}

/** Whether the saved learned state was taken back; one that cannot be read is logged, and the engine starts from its prior. */
function restoreLearned(engine: Engine, json: string | undefined, logger: Logger | undefined): boolean {
  if (json === undefined) return false
  try {
    engine.restoreLearned(JSON.parse(json))
    return true
  } catch (err) {
    logger?.warn({ err }, 'what the previous engine learned could not be read; this one starts from the forecast and the profile')
    return false
  }
}

function parseState(json: string): DeliveryState | undefined {
  try {
    const s = JSON.parse(json) as DeliveryState
    return s?.v === 1 && typeof s.record?.id === 'string' ? s : undefined
  } catch {
    return undefined
  }
}
