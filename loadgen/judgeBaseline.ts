/** Whether a run's baseline can be compared with: a baseline that lost positions cannot. */
export interface BaselineVerdict {
  valid: boolean
  /** Why not, in words for the report's INVALID line; null when valid. */
  reason: string | null
}

/**
 * `sent` positions went out, the bare pipe received `unique` distinct ones,
 * and the broker dropped `drops` for slow subscribers (null when it cannot
 * say, an external broker).
 */
export function judgeBaseline(sent: number, unique: number, drops: number | null): BaselineVerdict {
  const lost = Math.max(0, sent - unique)
  if (lost === 0) return { valid: true, reason: null }
  return {
    valid: false,
    reason: `the baseline lost ${lost} of ${sent} positions${drops ? ` (${drops} dropped by the broker's slow-subscriber rule)` : ''}`,
  }
}
