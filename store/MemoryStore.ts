import { isTerminal } from '../protocol/events.js'
import { applyWrite, type WriteTables } from './applyWrite.js'
import type { Outcome } from './GroupCommit.js'
import { GroupCommittedStore } from './GroupCommittedStore.js'
import { listBounds, nextCursor } from './listCursor.js'
import type {
  DeliveryDetail,
  Lease,
  ListQuery,
  LoggedEvent,
  OpenDelivery,
  Store,
  StoredDelivery,
  StoreOptions,
  StorePage,
} from './Store.js'
import type { WriteOp, WriteResult } from './writeOps.js'

interface Row {
  n: number
  d: StoredDelivery
  engineState: string | null
}

/**
 * The store in memory, for `run` and tests: the same behaviour as the
 * durable backends (writes are grouped per loop turn and resolve together),
 * gone with the process. Returned objects are the store's own: read them,
 * do not change them.
 */
export class MemoryStore extends GroupCommittedStore implements Store {
  readonly backend = 'memory'
  private readonly inbox = new Map<string, { fingerprint: string }>()
  private readonly keys = new Map<string, string>()
  private readonly rows = new Map<string, Row>()
  /** Ids by creation number - 1. */
  private readonly order: string[] = []
  private readonly log = new Map<string, LoggedEvent[]>()
  private readonly outbox = new Map<number, { region: string; logged: LoggedEvent }>()
  private readonly fences = new Map<string, number>()
  private readonly leaseRows = new Map<string, { holder: string; expiresAt: number }>()
  private readonly secrets = new Map<string, string>()
  private readonly learnedRows = new Map<string, string>()
  private pos = 0

  private readonly tablesView = this.tables()

  constructor(o: StoreOptions = {}) {
    super(o.now ?? Date.now, o)
  }

  protected commit(ops: readonly WriteOp[]): Array<Outcome<WriteResult>> {
    return ops.map((op) => applyWrite(this.tablesView, op))
  }

  secret(name: string, generate: () => string): Promise<string> {
    return this.write({ type: 'secret', name, value: this.secrets.get(name) ?? generate() })
  }

  async learned(region: string): Promise<string | undefined> {
    return this.learnedRows.get(region)
  }

  async leases(): Promise<{ now: number; leases: Lease[] }> {
    const leases = [...this.leaseRows].map(([region, l]) => ({ region, ...l, epoch: this.fences.get(region) ?? 0 }))
    return { now: this.now(), leases: leases.sort((a, b) => a.region.localeCompare(b.region)) }
  }

  async unpublished(q: { region?: string; limit?: number } = {}): Promise<LoggedEvent[]> {
    const out: LoggedEvent[] = []
    const limit = q.limit ?? 1000
    for (const { region, logged } of this.outbox.values()) {
      if (out.length >= limit) break
      if (q.region === undefined || region === q.region) out.push(logged)
    }
    return out
  }

  async get(id: string): Promise<DeliveryDetail | undefined> {
    const row = this.rows.get(id)
    return row && { ...row.d, history: (this.log.get(id) ?? []).map((l) => l.event) }
  }

  async events(id: string, afterSeq = 0): Promise<LoggedEvent[]> {
    return (this.log.get(id) ?? []).filter((l) => l.seq > afterSeq)
  }

  async list(q: ListQuery): Promise<StorePage> {
    const { limit, before } = listBounds(q)
    const items: StoredDelivery[] = []
    let lastN: number | undefined
    for (let i = Math.min(before - 1, this.order.length) - 1; i >= 0 && items.length < limit; i--) {
      const row = this.rows.get(this.order[i] as string) as Row
      if (q.status !== undefined && row.d.status !== q.status) continue
      items.push(row.d)
      lastN = row.n
    }
    return { items, next: nextCursor(items.length, limit, lastN) }
  }

  async openDeliveries(region?: string): Promise<OpenDelivery[]> {
    const out: OpenDelivery[] = []
    for (const row of this.rows.values()) {
      if (!isTerminal(row.d.status) && (region === undefined || row.d.region === region))
        out.push({ delivery: row.d, engineState: row.engineState })
    }
    return out
  }

  async close(): Promise<void> {
    await this.writes.drain()
  }

  /** applyWrite's view of the maps. */
  private tables(): WriteTables {
    return {
      inboxByKey: (key) => {
        const id = this.keys.get(key)
        return id === undefined ? undefined : { id, fingerprint: (this.inbox.get(id) as { fingerprint: string }).fingerprint }
      },
      inboxById: (id) => this.inbox.get(id),
      insertInbox: (op) => {
        this.inbox.set(op.input.order.id, { fingerprint: op.input.fingerprint })
        if (op.input.idempotencyKey !== null) this.keys.set(op.input.idempotencyKey, op.input.order.id)
      },
      delivery: (id) => this.rows.get(id)?.d,
      insertDelivery: (d) => {
        this.order.push(d.id)
        this.rows.set(d.id, { n: this.order.length, d, engineState: null })
      },
      updateDelivery: (d, engineState) => {
        const row = this.rows.get(d.id) as Row
        row.d = d
        if (engineState !== undefined) row.engineState = engineState
      },
      lease: (region) => this.leaseRows.get(region),
      setLease: (region, holder, expiresAt) => void this.leaseRows.set(region, { holder, expiresAt }),
      fence: (region) => this.fences.get(region),
      setFence: (region, epoch) => void this.fences.set(region, epoch),
      insertEvent: (region, seq, epoch, event) => {
        const logged: LoggedEvent = { pos: ++this.pos, seq, epoch, event }
        let list = this.log.get(event.deliveryId)
        if (!list) this.log.set(event.deliveryId, (list = []))
        list.push(logged)
        this.outbox.set(logged.pos, { region, logged })
        return logged.pos
      },
      deleteOutbox: (positions) => {
        for (const p of positions) this.outbox.delete(p)
      },
      setLearned: (region, state) => void this.learnedRows.set(region, state),
      storedSecret: (name) => this.secrets.get(name),
      insertSecret: (name, value) => void this.secrets.set(name, value),
    }
  }
}
