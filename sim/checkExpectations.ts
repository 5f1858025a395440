import type { Expectation } from './Scenario.js'
import type { Summary } from './summaryFigures.js'

export interface ExpectationFailure extends Expectation {
  actual: number | undefined
  message: string
}

const HOLDS: Record<Expectation['op'], (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
}

/** The expectations that a summary misses, each naming the figure, the threshold and the value. */
export function checkExpectations(expect: readonly Expectation[], summary: Summary | Readonly<Record<string, number>>): ExpectationFailure[] {
  const failed: ExpectationFailure[] = []
  for (const e of expect) {
    const actual = (summary as Record<string, number | undefined>)[e.figure]
    if (actual === undefined || !HOLDS[e.op](actual, e.value)) {
      failed.push({ ...e, actual, message: `expect ${e.figure} ${e.op} ${e.value} (line ${e.line}), got ${actual}` })
    }
  }
  return failed
}
