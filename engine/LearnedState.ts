import { DronefleetError, ErrorCodes, showValue } from '../protocol/errors.js'
import { DRONE_STATES, type DroneState } from '../protocol/telemetry.js'
import type { FactorsState } from './DroneFactors.js'
import type { CalibrationState } from './EtaCalibration.js'
import type { HandlingState } from './HandlingTimes.js'
import type { WindState } from './WindEstimate.js'

/**
 * What the engine has learned from telemetry (FleetLearning), as JSON: the
 * wind, each drone's factors, handling times, the ETA errors and the
 * estimates still waiting for their arrival. A restarted engine takes it
 * back (Engine.restoreLearned), so it predicts as its predecessor would have
 * instead of starting from the forecast and the profile again. Saved with
 * full precision: JSON numbers round-trip exactly.
 */
export interface LearnedState {
  v: 1
  wind: WindState
  factors: FactorsState
  handling: HandlingState
  calibration: CalibrationState
  /** Running mean square of air observations' disagreement with the wind, (m/s)². */
  offSq: number
  /** Where the fleet's noses pointed: [weight, east, north, time (null: never)]. */
  headings: [number, number, number, number | null]
  /** Each drone's previous sample: [id, ts, battery, state, payloadKg, airTs (null: never), outlier]. */
  last: Array<[string, number, number, DroneState, number, number | null, boolean]>
}

/** A field of a learned state that is not what it must be: DF_OPTION_INVALID naming the field and the value. */
function bad(field: string, value: unknown, what: string): never {
  const subject = field ? `learned state field ${field}` : 'a learned state'
  throw new DronefleetError(ErrorCodes.OPTION_INVALID, `${subject} must be ${what}, got ${showValue(value)}`, field || undefined, value)
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function num(field: string, v: unknown): number {
  return isNum(v) ? v : bad(field, v, 'a finite number')
}

function numOrNull(field: string, v: unknown): number | null {
  return v === null ? null : isNum(v) ? v : bad(field, v, 'a finite number or null')
}

function obj(field: string, v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : bad(field, v, 'an object')
}

function arr(field: string, v: unknown): unknown[] {
  return Array.isArray(v) ? v : bad(field, v, 'an array')
}

/** An array of finite numbers, at least `min` long (from index `from` on; what comes before is the caller's to check). */
function nums(field: string, v: unknown, min = 0, from = 0): number[] {
  const a = arr(field, v)
  if (a.length < min) bad(field, v, `an array of at least ${min} numbers`)
  for (let i = from; i < a.length; i++) num(`${field}[${i}]`, a[i])
  return a as number[]
}

/**
 * Checks a learned state (parsed from the store, or handed over in code)
 * field by field before any of it is used; the first problem is thrown as
 * DF_OPTION_INVALID naming the field (`wind.cells[3]`) and the value.
 */
export function readLearnedState(x: unknown): LearnedState {
  const s = obj('', x)
  if (s.v !== 1) bad('v', s.v, '1')
  const w = obj('wind', s.wind)
  num('wind.cellM', w.cellM)
  arr('wind.cells', w.cells).forEach((c, i) => nums(`wind.cells[${i}]`, c, 7))
  nums('wind.fleet', w.fleet, 8)
  num('wind.added', w.added)
  if (typeof w.windy !== 'boolean') bad('wind.windy', w.windy, 'true or false')
  numOrNull('wind.latest', w.latest)
  const f = obj('factors', s.factors)
  arr('factors.drones', f.drones).forEach((d, i) => {
    const a = arr(`factors.drones[${i}]`, d)
    if (a.length !== 8) bad(`factors.drones[${i}]`, d, '[id and seven numbers]')
    if (typeof a[0] !== 'string') bad(`factors.drones[${i}][0]`, a[0], 'a drone id')
    nums(`factors.drones[${i}]`, a, 8, 1)
  })
  const high = obj('factors.high', f.high)
  for (const mode of ['cruise', 'hover']) {
    const h = arr(`factors.high.${mode}`, high[mode])
    num(`factors.high.${mode}[0]`, h[0])
    numOrNull(`factors.high.${mode}[1]`, h[1])
  }
  if (f.speedSpread !== undefined) {
    const sp = arr('factors.speedSpread', f.speedSpread)
    num('factors.speedSpread[0]', sp[0])
    numOrNull('factors.speedSpread[1]', sp[1])
  }
  num('factors.observations', f.observations)
  const h = obj('handling', s.handling)
  for (const kind of ['pickup', 'dropoff']) {
    const r = obj(`handling.${kind}`, h[kind])
    const count = num(`handling.${kind}.count`, r.count)
    const values = nums(`handling.${kind}.values`, r.values)
    if (values.length > count) bad(`handling.${kind}.values`, r.values, `at most count (${count}) values`)
    num(`handling.${kind}.sum`, r.sum)
  }
  const c = obj('calibration', s.calibration)
  nums('calibration.edgesS', c.edgesS)
  const keep = num('calibration.keep', c.keep)
  num('calibration.arrivals', c.arrivals)
  arr('calibration.buckets', c.buckets).forEach((b, i) => {
    const a = nums(`calibration.buckets[${i}]`, b, 4)
    if (a.length - 4 !== 2 * Math.min(a[3]!, keep))
      bad(`calibration.buckets[${i}]`, b, 'kind, phase, index, count, and min(count, keep) errors and as many times')
  })
  arr('calibration.traces', c.traces).forEach((tr, i) => {
    const a = arr(`calibration.traces[${i}]`, tr)
    if (a.length !== 2 || typeof a[0] !== 'string') bad(`calibration.traces[${i}]`, tr, '[delivery id, estimates]')
    arr(`calibration.traces[${i}][1]`, a[1]).forEach((m, k) => nums(`calibration.traces[${i}][1][${k}]`, m, 6))
  })
  num('offSq', s.offSq)
  const hd = arr('headings', s.headings)
  if (hd.length !== 4) bad('headings', hd, '[weight, east, north, time]')
  for (let k = 0; k < 3; k++) num(`headings[${k}]`, hd[k])
  numOrNull('headings[3]', hd[3])
  arr('last', s.last).forEach((l, i) => {
    const a = arr(`last[${i}]`, l)
    if (a.length !== 7) bad(`last[${i}]`, l, '[id, ts, battery, state, payloadKg, airTs, outlier]')
    if (typeof a[0] !== 'string') bad(`last[${i}][0]`, a[0], 'a drone id')
    for (const k of [1, 2, 4]) num(`last[${i}][${k}]`, a[k])
    if (!DRONE_STATES.includes(a[3] as DroneState)) bad(`last[${i}][3]`, a[3], `one of ${DRONE_STATES.join(', ')}`)
    numOrNull(`last[${i}][5]`, a[5])
    if (typeof a[6] !== 'boolean') bad(`last[${i}][6]`, a[6], 'true or false')
  })
  return s as unknown as LearnedState
}
