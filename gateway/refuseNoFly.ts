import { ErrorCodes } from '../protocol/errors.js'
import type { LatLon } from '../protocol/geo.js'
import { noFlyProblems, type EngineView } from './EngineView.js'
import { ProblemError } from './problem.js'

/** 422 naming each point that lies in a no-fly zone; nothing when none does. */
export function refuseNoFly(engine: EngineView, points: Record<string, LatLon | undefined>): void {
  const problems = noFlyProblems(engine, points)
  if (problems.length === 0) return
  throw new ProblemError(ErrorCodes.REQUEST_INVALID, problems.map((p) => `${p.field} ${p.message}`).join('; '), {
    errors: problems,
    status: 422,
  })
}
