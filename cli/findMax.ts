import type { LoadResult } from '../loadgen/runLoad.js'

/** One path's capacity: the highest step it sustained before its first failed step. */
export interface Capacity {
  capacity: number | null
  /** False when the path passed every step: its capacity is at least `capacity`. */
  limitReached: boolean
  /** Why the first failed step failed. */
  failedAt: { rate: number; why: string } | null
}

export interface FindMaxResult {
  bound: number
  engine: Capacity
  bare: Capacity
  /** engine / bare capacity; null when either has none or the bare pipe never reached its limit while the engine did not either. */
  ratio: number | null
  ratioNote: string | null
  steps: Array<{ rate: number; engineOk: boolean; bareOk: boolean; result: LoadResult }>
}

function verdict(lost: number, count: number, p99: number, bound: number): string | null {
  if (lost > 0) return `lost ${lost}`
  if (count === 0) return 'measured nothing'
  return p99 > bound ? `p99 ${p99} ms > ${bound} ms` : null
}

/**
 * A breakpoint search: runs the steps in increasing order until both paths
 * have failed one (a loss, or p99 over the bound). Each step is a run of its
 * own with both paths measured in it; a path's capacity is the last step it
 * passed before its first failure.
 */
export async function findMax(steps: readonly number[], bound: number, run: (rate: number) => Promise<LoadResult>): Promise<FindMaxResult> {
  const engine: Capacity = { capacity: null, limitReached: false, failedAt: null }
  const bare: Capacity = { capacity: null, limitReached: false, failedAt: null }
  const done: FindMaxResult['steps'] = []
  for (const rate of [...steps].sort((a, b) => a - b)) {
    const r = await run(rate)
    const e = verdict(r.engine.lost, r.engine.latency.count, r.engine.latency.p99, bound)
    const b = verdict(r.bare.lost, r.bare.latency.count, r.bare.latency.p99, bound)
    done.push({ rate, engineOk: e === null, bareOk: b === null, result: r })
    for (const [c, why] of [
      [engine, e],
      [bare, b],
    ] as const) {
      if (c.limitReached) continue
      if (why === null) c.capacity = rate
      else {
        c.limitReached = true
        c.failedAt = { rate, why }
      }
    }
    if (engine.limitReached && bare.limitReached) break
  }
  let ratio: number | null = null
  let ratioNote: string | null = null
  if (engine.capacity === null || bare.capacity === null)
    ratioNote = `${engine.capacity === null ? 'the engine' : 'the bare pipe'} sustained no step`
  else if (!bare.limitReached && !engine.limitReached) ratioNote = 'neither path reached its limit: add higher --steps'
  else {
    ratio = Math.round((engine.capacity / bare.capacity) * 1000) / 1000
    if (!bare.limitReached) ratioNote = 'the bare pipe did not reach its limit: this ratio is an upper bound'
    else if (!engine.limitReached) ratioNote = 'the engine did not reach its limit: this ratio is a lower bound'
  }
  return { bound, engine, bare, ratio, ratioNote, steps: done }
}
