/**
 * Errors with stable codes. Every error a user can see carries one of these
 * codes, so scripts can match on `code` instead of on message text.
 */
export const ErrorCodes = {
  TELEMETRY_INVALID: 'DF_TELEMETRY_INVALID',
  SCENARIO_INVALID: 'DF_SCENARIO_INVALID',
  SCENARIO_UNREADABLE: 'DF_SCENARIO_UNREADABLE',
  REQUEST_INVALID: 'DF_REQUEST_INVALID',
  FLAG_INVALID: 'DF_FLAG_INVALID',
  PORT_IN_USE: 'DF_PORT_IN_USE',
  BROKER_UNREACHABLE: 'DF_BROKER_UNREACHABLE',
  NOT_FOUND: 'DF_NOT_FOUND',
  UNAUTHORIZED: 'DF_UNAUTHORIZED',
  BROKER_UNAVAILABLE: 'DF_BROKER_UNAVAILABLE',
  /** The engine is behind: load is shed rather than queued without bound. */
  OVERLOADED: 'DF_OVERLOADED',
  INTERNAL: 'DF_INTERNAL',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

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
}

/** Renders a value for an error message: short, single-line, JSON-ish. */
export function showValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (value === undefined) return 'nothing'
  let s: string
  try {
    s = JSON.stringify(value) ?? String(value)
  } catch {
    s = String(value)
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}
