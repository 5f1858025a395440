import { DronefleetError, ErrorCodes, showValue } from './errors.js'
import { wrapLon } from './geo.js'

export const DRONE_STATES = ['idle', 'charging', 'takeoff', 'cruise', 'hover', 'landing', 'returning', 'failed'] as const
export type DroneState = (typeof DRONE_STATES)[number]

/** One position report, as published on `telemetry/{droneId}` (DESIGN.md §4). */
export interface TelemetrySample {
  droneId: string
  /** Increases per drone; duplicates and reordering are detected with it. */
  seq: number
  /** Event time, ms since the epoch. */
  ts: number
  lat: number
  lon: number
  /** Metres above ground. */
  alt: number
  /** Ground speed, m/s. */
  speed: number
  /** Degrees clockwise from north, 0..360. */
  heading: number
  /** State of charge, 0..1. */
  battery: number
  state: DroneState
  /**
   * Set while the drone refuses the command for this delivery (it could not
   * complete it with its reserve): the engine takes the delivery back.
   */
  refused?: string
}

/**
 * Why a sample was rejected: the metric label `reason` uses these. `future`:
 * stamped too far ahead of the engine's clock (engine/mqtt/IdleClock.ts);
 * `size` and `limit` are bounds (a payload too large, more drones than the
 * engine registers).
 */
export type TelemetryRejectReason = 'malformed' | 'missing' | 'type' | 'range' | 'topic' | 'future' | 'size' | 'limit'

/** A JSON sample is about 200 bytes; anything near this is not telemetry, and is not parsed. */
export const MAX_TELEMETRY_JSON_BYTES = 128 * 1024

export class TelemetryError extends DronefleetError {
  readonly reason: TelemetryRejectReason
  constructor(reason: TelemetryRejectReason, message: string, field?: string, value?: unknown) {
    super(ErrorCodes.TELEMETRY_INVALID, message, field, value)
    this.name = 'TelemetryError'
    this.reason = reason
  }
}

const STATE_SET: ReadonlySet<string> = new Set(DRONE_STATES)
const DRONE_ID = /^[A-Za-z0-9._-]{1,64}$/

type NumberRule = [field: keyof TelemetrySample, min: number, max: number, integer: boolean]
const NUMBER_RULES: readonly NumberRule[] = [
  ['seq', 0, Number.MAX_SAFE_INTEGER, true],
  ['ts', 0, 8.64e15, false],
  ['lat', -90, 90, false],
  ['lon', -180, 180, false],
  ['alt', -500, 20_000, false],
  ['speed', 0, 500, false],
  ['heading', 0, 360, false],
  ['battery', 0, 1, false],
]

/**
 * Validates an already-parsed object as a telemetry sample, naming the first
 * bad field and its value. Hand-written rather than schema-compiled: it is the
 * hottest validation in the system and its messages are part of the contract.
 */
export function validateTelemetry(input: unknown): TelemetrySample {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TelemetryError('malformed', `telemetry must be a JSON object, got ${showValue(input)}`)
  }
  const o = input as Record<string, unknown>
  const id = o.droneId
  if (id === undefined) throw new TelemetryError('missing', 'telemetry field "droneId" is missing', 'droneId')
  if (typeof id !== 'string' || !DRONE_ID.test(id)) {
    throw new TelemetryError(
      'type',
      `telemetry field "droneId" must be 1-64 characters of [A-Za-z0-9._-], got ${showValue(id)}`,
      'droneId',
      id,
    )
  }
  for (const [field, min, max, integer] of NUMBER_RULES) {
    const v = o[field]
    if (v === undefined) throw new TelemetryError('missing', `telemetry field "${field}" is missing`, field)
    if (typeof v !== 'number') {
      throw new TelemetryError('type', `telemetry field "${field}" must be a number, got ${showValue(v)}`, field, v)
    }
    if (!Number.isFinite(v)) {
      throw new TelemetryError('range', `telemetry field "${field}" must be finite, got ${showValue(v)}`, field, v)
    }
    if (v < min || v > max || (integer && !Number.isInteger(v))) {
      const what = integer ? 'an integer' : 'a number'
      throw new TelemetryError('range', `telemetry field "${field}" must be ${what} in ${min}..${max}, got ${showValue(v)}`, field, v)
    }
  }
  const state = o.state
  if (state === undefined) throw new TelemetryError('missing', 'telemetry field "state" is missing', 'state')
  if (typeof state !== 'string' || !STATE_SET.has(state)) {
    throw new TelemetryError(
      'type',
      `telemetry field "state" must be one of ${DRONE_STATES.join(', ')}, got ${showValue(state)}`,
      'state',
      state,
    )
  }
  const refused = o.refused
  if (refused !== undefined && (typeof refused !== 'string' || refused.length === 0 || refused.length > 128)) {
    throw new TelemetryError('type', `telemetry field "refused" must be a delivery id, got ${showValue(refused)}`, 'refused', refused)
  }
  const sample: TelemetrySample = {
    droneId: id,
    seq: o.seq as number,
    ts: o.ts as number,
    lat: o.lat as number,
    // 180° and -180° are one meridian: one name for it, as the batch codec reads it.
    lon: wrapLon(o.lon as number),
    alt: o.alt as number,
    speed: o.speed as number,
    heading: o.heading as number,
    battery: o.battery as number,
    state: state as DroneState,
  }
  if (refused !== undefined) sample.refused = refused
  return sample
}

/** Parses and validates one JSON telemetry payload. */
export function decodeTelemetryJson(payload: Buffer | string): TelemetrySample {
  if (payload.length > MAX_TELEMETRY_JSON_BYTES) {
    throw new TelemetryError('size', `telemetry is ${payload.length} bytes, more than ${MAX_TELEMETRY_JSON_BYTES}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'))
  } catch (err) {
    throw new TelemetryError('malformed', `telemetry is not valid JSON: ${(err as Error).message}`)
  }
  return validateTelemetry(parsed)
}

export function encodeTelemetryJson(s: TelemetrySample): string {
  return JSON.stringify(s)
}
