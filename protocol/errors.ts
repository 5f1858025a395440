/**
 * Errors with stable codes. Every error a user can see carries one of these
 * codes, so scripts can match on `code` instead of on message text.
 */
export const ErrorCodes = {
  TELEMETRY_INVALID: 'DF_TELEMETRY_INVALID',
  SCENARIO_INVALID: 'DF_SCENARIO_INVALID',
  SCENARIO_UNREADABLE: 'DF_SCENARIO_UNREADABLE',
  /** A quantity that is not a number with a unit of its dimension. */
  UNIT_INVALID: 'DF_UNIT_INVALID',
  REQUEST_INVALID: 'DF_REQUEST_INVALID',
  /** The request is well formed but the resource's state forbids it (a delivery that has ended). */
  CONFLICT: 'DF_CONFLICT',
  FLAG_INVALID: 'DF_FLAG_INVALID',
  /** An option given to a part in code (engine, gateway, broker, simulator, load generator). */
  OPTION_INVALID: 'DF_OPTION_INVALID',
  PORT_IN_USE: 'DF_PORT_IN_USE',
  BROKER_UNREACHABLE: 'DF_BROKER_UNREACHABLE',
  NOT_FOUND: 'DF_NOT_FOUND',
  UNAUTHORIZED: 'DF_UNAUTHORIZED',
  BROKER_UNAVAILABLE: 'DF_BROKER_UNAVAILABLE',
  /** The engine is behind: load is shed rather than queued without bound. */
  OVERLOADED: 'DF_OVERLOADED',
  /** The simulator waited in vain for the engine to confirm a tick. */
  ENGINE_TIMEOUT: 'DF_ENGINE_TIMEOUT',
  /** A load test's own part (publisher, bare pipe, clients) stopped answering: the run is abandoned, not waited on. */
  LOAD_STALLED: 'DF_LOAD_STALLED',
  /** The gateway's HTTP API could not be reached. */
  GATEWAY_UNREACHABLE: 'DF_GATEWAY_UNREACHABLE',
  /** The gateway answered, but not with acceptance (after the retries a 503 gets). */
  GATEWAY_REFUSED: 'DF_GATEWAY_REFUSED',
  INTERNAL: 'DF_INTERNAL',
  /** The store cannot be opened, migrated or reached; a write was not committed. */
  STORE_UNAVAILABLE: 'DF_STORE_UNAVAILABLE',
  /** A write carried a fencing epoch older than the region's: another engine holds it now. */
  STORE_FENCED: 'DF_STORE_FENCED',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/**
 * The HTTP status of each code, declared once. Codes that never leave the
 * process as an HTTP answer still have one: the status a server would use
 * if they did (bad input 400, our own failure 500, an upstream one 502/504).
 */
const STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  DF_TELEMETRY_INVALID: 400,
  DF_SCENARIO_INVALID: 400,
  DF_SCENARIO_UNREADABLE: 400,
  DF_UNIT_INVALID: 400,
  // Also 422 where the request is well formed but refused (see gateway/routes/deliveries.ts), and
  // fastify's own status (413, 415, ...) for what fastify refuses before a route runs.
  DF_REQUEST_INVALID: 400,
  DF_CONFLICT: 409,
  DF_FLAG_INVALID: 400,
  DF_OPTION_INVALID: 500,
  DF_PORT_IN_USE: 500,
  DF_BROKER_UNREACHABLE: 502,
  DF_NOT_FOUND: 404,
  DF_UNAUTHORIZED: 401,
  DF_BROKER_UNAVAILABLE: 503,
  DF_OVERLOADED: 503,
  DF_ENGINE_TIMEOUT: 504,
  DF_LOAD_STALLED: 504,
  DF_GATEWAY_UNREACHABLE: 502,
  DF_GATEWAY_REFUSED: 502,
  DF_INTERNAL: 500,
  DF_STORE_UNAVAILABLE: 503,
  DF_STORE_FENCED: 409,
})

/** The HTTP status that `code` declares. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code]
}

/** The base of every error dronefleet throws on purpose: a stable code, and the field and value it is about. */
export class DronefleetError extends Error {
  readonly code: ErrorCode
  /** Dotted path of the offending field, when the error is about one. */
  readonly field: string | undefined
  readonly value: unknown

  constructor(code: ErrorCode, message: string, field?: string, value?: unknown) {
    super(message)
    this.name = 'DronefleetError'
    this.code = code
    this.field = field
    this.value = value
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return statusOf(this.code)
  }
}

/** Renders a value for an error message: short, single-line, JSON-ish. */
export function showValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (value === undefined) return 'nothing'
  let s: string
  try {
    s = JSON.stringify(value) ?? String(value)
  } catch {
    // Cyclic, or nested too deep for the stack (a hostile payload): String() would recurse as deep.
    try {
      s = typeof value === 'object' && value !== null ? (Array.isArray(value) ? `an array of ${value.length}` : 'an object') : String(value)
    } catch {
      s = typeof value
    }
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}
