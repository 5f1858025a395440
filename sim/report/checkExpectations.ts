import type { Expectation } from '../scenario/Scenario.js'
import { NO_DATA_WHEN, type Summary } from './summaryFigures.js'

export interface ExpectationFailure extends Expectation {
  /** The figure's value; null when the run had no data for it, undefined when there is no such figure. */
  actual: number | null | undefined
  message: string
}

const HOLDS: Record<Expectation['op'], (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
}

/**
 * The expectations that a summary misses, each naming the figure, the
 * threshold and the value. A figure with no data (null) fails every
 * threshold: a run that measured nothing has not shown that it meets one.
 */
export function checkExpectations(
  expect: readonly Expectation[],
  summary: Summary | Readonly<Record<string, number | null>>,
): ExpectationFailure[] {
  const failed: ExpectationFailure[] = []
  for (const e of expect) {
    const actual = (summary as Record<string, number | null | undefined>)[e.figure]
    const head = `expect ${e.figure} ${e.op} ${e.value} (line ${e.line})`
    if (actual === null) {
      const why = (NO_DATA_WHEN as Record<string, string>)[e.figure]
      failed.push({ ...e, actual, message: `${head}: no data for ${e.figure}${why ? ` (${why})` : ''}` })
    } else if (actual === undefined || !HOLDS[e.op](actual, e.value)) {
      failed.push({ ...e, actual, message: `${head}, got ${actual}` })
    }
  }
  return failed
}
