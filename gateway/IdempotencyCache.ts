/**
 * Remembers the outcome of requests that carried an `Idempotency-Key`, so a
 * client retrying after a lost response gets the same answer and the request
 * is not acted on twice. In memory and bounded (oldest keys are forgotten
 * first); keys are not shared between gateway processes.
 */
export interface StoredResponse {
  status: number
  body: unknown
}

export type IdempotentResult =
  | { kind: 'fresh' | 'replay'; response: StoredResponse }
  /** The key was used before with a different request body. */
  | { kind: 'conflict' }

export class IdempotencyCache {
  private readonly entries = new Map<string, { fingerprint: string; response: Promise<StoredResponse> }>()

  constructor(private readonly max = 10_000) {}

  get size(): number {
    return this.entries.size
  }

  /**
   * Runs `work` once per key. Concurrent retries share the in-flight attempt;
   * a failed attempt (thrown error) is forgotten so the client can retry it.
   */
  async run(key: string, fingerprint: string, work: () => Promise<StoredResponse>): Promise<IdempotentResult> {
    const known = this.entries.get(key)
    if (known) {
      if (known.fingerprint !== fingerprint) return { kind: 'conflict' }
      return { kind: 'replay', response: await known.response }
    }
    const response = work()
    const entry = { fingerprint, response }
    this.entries.set(key, entry)
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string)
    try {
      return { kind: 'fresh', response: await response }
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key)
      throw err
    }
  }
}
