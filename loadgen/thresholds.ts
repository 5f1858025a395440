import { DronefleetError, ErrorCodes } from '../protocol/errors.js'

export type Op = '<' | '<=' | '>' | '>=' | '=='

export interface Threshold {
  text: string
  metric: string
  op: Op
  /** In the metric's unit: ms for latencies, a fraction for rates. */
  limit: number
}

export interface ThresholdResult extends Threshold {
  actual: number | undefined
  ok: boolean
}

const HOLDS: Record<Op, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
}

/**
 * Parses one `--threshold` such as `p99<25ms`, `ws.p99<=50ms`, `loss==0`,
 * `lossRate<0.1%`, `throughput>=50000`, `ratio>=0.9`. Units: ms, s, %.
 */
export function parseThreshold(text: string, known: readonly string[]): Threshold {
  const m = text.replace(/\s+/g, '').match(/^([A-Za-z][\w.]*)(<=|>=|==|<|>)(-?\d+(?:\.\d+)?)(ms|s|%)?$/)
  if (!m) {
    throw new DronefleetError(
      ErrorCodes.FLAG_INVALID,
      `--threshold "${text}" must look like p99<25ms, loss==0 or ratio>=0.9`,
      '--threshold',
      text,
    )
  }
  const [, metric, op, num, unit] = m as unknown as [string, string, Op, string, string | undefined]
  if (!known.includes(metric)) {
    throw new DronefleetError(
      ErrorCodes.FLAG_INVALID,
      `--threshold "${text}": unknown metric "${metric}"; known: ${known.join(', ')}`,
      '--threshold',
      text,
    )
  }
  const scale = unit === 's' ? 1000 : unit === '%' ? 0.01 : 1
  return { text, metric, op, limit: Number(num) * scale }
}

export function checkThresholds(thresholds: readonly Threshold[], values: Readonly<Record<string, number>>): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = values[t.metric]
    return { ...t, actual, ok: actual !== undefined && Number.isFinite(actual) && HOLDS[t.op](actual, t.limit) }
  })
}
