/** What became of one write in a group: its value, or the error that refused it alone. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: Error }

export interface GroupCommitOptions {
  /**
   * How long the first write of a group waits for others, ms. 0 (the
   * default) groups what was written in the same loop turn.
   */
  delayMs?: number
  /** Most writes in one transaction; the rest go in the next. */
  maxBatch?: number
}

interface Pending<Op, R> {
  op: Op
  resolve: (value: R) => void
  reject: (error: Error) => void
}

/**
 * Group commit: writes submitted while no transaction runs are collected
 * until the end of the loop turn (or `delayMs`), then committed together;
 * writes submitted while a transaction runs go into the next one, which
 * starts as soon as it ends. Each promise settles once its transaction is
 * durable, so one fsync serves the whole group.
 *
 * `commit` gets the batch in submission order and returns one outcome per
 * write (a write refused on its own, e.g. fenced, does not sink the others);
 * when it throws, every write of the batch is rejected with that error.
 */
export class GroupCommit<Op, R> {
  private queue: Array<Pending<Op, R>> = []
  private scheduled = false
  private running = false
  private idle: Array<() => void> = []
  private readonly delayMs: number
  private readonly maxBatch: number
  /** Transactions committed, and writes in them: the mean group size is their ratio. */
  transactions = 0
  writes = 0

  constructor(
    private readonly commit: (ops: readonly Op[]) => Promise<Array<Outcome<R>>> | Array<Outcome<R>>,
    o: GroupCommitOptions = {},
  ) {
    this.delayMs = o.delayMs ?? 0
    this.maxBatch = o.maxBatch ?? 2000
  }

  get pending(): number {
    return this.queue.length
  }

  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ op, resolve, reject })
      if (!this.running && !this.scheduled) this.schedule(this.delayMs)
    })
  }

  /** Resolves once every write submitted so far has settled. */
  drain(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  private schedule(delayMs: number): void {
    this.scheduled = true
    if (delayMs > 0) setTimeout(() => void this.run(), delayMs)
    else setImmediate(() => void this.run())
  }

  private async run(): Promise<void> {
    this.scheduled = false
    const batch = this.queue.splice(0, this.maxBatch)
    if (batch.length === 0) return this.settleIdle()
    this.running = true
    try {
      const outcomes = await this.commit(batch.map((p) => p.op))
      this.transactions++
      this.writes += batch.length
      batch.forEach((p, i) => {
        const o = outcomes[i]
        if (!o) p.reject(new Error('the store returned no outcome for a write'))
        else if (o.ok) p.resolve(o.value)
        else p.reject(o.error)
      })
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      for (const p of batch) p.reject(error)
    } finally {
      this.running = false
      // Writes that arrived during the transaction form the next group at once.
      if (this.queue.length > 0) this.schedule(0)
      else this.settleIdle()
    }
  }

  private settleIdle(): void {
    for (const resolve of this.idle.splice(0)) resolve()
  }
}
