import { ErrorCodes, type ErrorCode } from '../protocol/errors.js'

/** The process exit codes of every command (README.md, "Exit codes"). */
export const ExitCodes = {
  OK: 0,
  /** `run`/`sim`: an `expect` failed; `bench`: a threshold missed. */
  CHECK_FAILED: 1,
  BAD_INPUT: 2,
  /** An unexpected failure: a bug. */
  BUG: 3,
  /** A service the command needs could not be reached, refused the work, or did not answer in time. */
  UNAVAILABLE: 4,
  /** `bench`: the baseline (bare pipe) lost positions, so the run's comparison means nothing. */
  BASELINE_INVALID: 5,
  /** `run`/`sim`: stopped by Ctrl-C (SIGINT) before the scenario's end; the partial results were written. 128 + SIGINT, as shells report it. */
  INTERRUPTED: 130,
} as const

const { BAD_INPUT, BUG, UNAVAILABLE } = ExitCodes

/** What each error code exits with when it ends a command; a Record so a new code must choose. */
const BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  [ErrorCodes.TELEMETRY_INVALID]: BAD_INPUT,
  [ErrorCodes.SCENARIO_INVALID]: BAD_INPUT,
  [ErrorCodes.SCENARIO_UNREADABLE]: BAD_INPUT,
  [ErrorCodes.UNIT_INVALID]: BAD_INPUT,
  [ErrorCodes.REQUEST_INVALID]: BAD_INPUT,
  [ErrorCodes.CONFLICT]: BAD_INPUT,
  [ErrorCodes.FLAG_INVALID]: BAD_INPUT,
  [ErrorCodes.OPTION_INVALID]: BAD_INPUT,
  [ErrorCodes.PORT_IN_USE]: BAD_INPUT,
  [ErrorCodes.NOT_FOUND]: BAD_INPUT,
  [ErrorCodes.UNAUTHORIZED]: BAD_INPUT,
  [ErrorCodes.BROKER_UNREACHABLE]: UNAVAILABLE,
  [ErrorCodes.BROKER_UNAVAILABLE]: UNAVAILABLE,
  [ErrorCodes.OVERLOADED]: UNAVAILABLE,
  [ErrorCodes.ENGINE_TIMEOUT]: UNAVAILABLE,
  [ErrorCodes.LOAD_STALLED]: UNAVAILABLE,
  [ErrorCodes.GATEWAY_UNREACHABLE]: UNAVAILABLE,
  [ErrorCodes.GATEWAY_REFUSED]: UNAVAILABLE,
  [ErrorCodes.INTERNAL]: BUG,
  // A store that cannot be opened or migrated is a setting to fix (--data, --store).
  [ErrorCodes.STORE_UNAVAILABLE]: BAD_INPUT,
  [ErrorCodes.STORE_FENCED]: UNAVAILABLE,
})

export function exitCodeOf(code: ErrorCode): number {
  return BY_CODE[code]
}
