/**
 * Physical quantities as people write them in scenario files: a plain number
 * in the dimension's base unit, or a string "<number> <unit>" (the space is
 * optional). Everything past this point works in the base units below, so a
 * unit mistake is caught once, here, with a message that names the unit.
 */
import { DronefleetError, ErrorCodes } from './errors.js'

interface DimensionInfo {
  /** How messages name the dimension: "unknown unit … for a speed". */
  readonly noun: string
  /** The unit a plain number means. */
  readonly base: string
  /** Shown in messages and schema descriptions. */
  readonly example: string
  /** Factor from each accepted unit to the base unit (units are case-sensitive). */
  readonly units: Readonly<Record<string, number>>
}

export const DIMENSIONS = {
  time: { noun: 'a time', base: 's', example: '30 s', units: { ms: 0.001, s: 1, min: 60, h: 3600 } },
  length: { noun: 'a length', base: 'm', example: '3 km', units: { m: 1, km: 1000 } },
  speed: { noun: 'a speed', base: 'm/s', example: '15 m/s', units: { 'm/s': 1, 'km/h': 1000 / 3600, kn: 1852 / 3600 } },
  energy: { noun: 'an energy', base: 'Wh', example: '500 Wh', units: { Wh: 1, kWh: 1000 } },
  power: { noun: 'a power', base: 'W', example: '900 W', units: { W: 1, kW: 1000 } },
  mass: { noun: 'a mass', base: 'kg', example: '2 kg', units: { g: 0.001, kg: 1 } },
  rate: {
    noun: 'a rate',
    base: '/h',
    example: '150 /h',
    units: { '/s': 3600, '/min': 60, '/h': 1, 'per second': 3600, 'per minute': 60, 'per hour': 1 },
  },
  energyPerDistance: { noun: 'an energy per distance', base: 'Wh/km', example: '17 Wh/km', units: { 'Wh/km': 1 } },
  energyPerMassDistance: {
    noun: 'an energy per mass and distance',
    base: 'Wh/kg/km',
    example: '10 Wh/kg/km',
    units: { 'Wh/kg/km': 1 },
  },
  // A fraction's base "unit" is none: 0.2 and "20%" mean the same.
  fraction: { noun: 'a fraction', base: '', example: '20%', units: { '%': 0.01 } },
} as const satisfies Record<string, DimensionInfo>

export type Dimension = keyof typeof DIMENSIONS

export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[]

/** A unit problem; callers that know the field and line wrap it in their own error. */
export class UnitError extends DronefleetError {
  constructor(message: string, value: unknown) {
    super(ErrorCodes.UNIT_INVALID, message, undefined, value)
    this.name = 'UnitError'
  }
}

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`
const QUANTITY = new RegExp(String.raw`^\s*(${NUMBER})?\s*(.*?)\s*$`)

function info(dim: Dimension): DimensionInfo {
  return DIMENSIONS[dim]
}

/** The accepted units of a dimension, for messages: "m/s, km/h, kn". */
export function unitList(dim: Dimension): string {
  const d = info(dim)
  const names = Object.keys(d.units)
  return d.base === '' ? `a plain number or ${names.join(', ')}` : names.join(', ')
}

/**
 * Converts `value` to the base unit of `dim`. Throws UnitError naming what is
 * wrong: not a number or string, a missing number, or a unit that does not
 * belong to this dimension. Signs and ranges are the caller's business.
 */
export function parseQuantity(value: unknown, dim: Dimension): number {
  const d = info(dim)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnitError(`must be a finite number, got ${String(value)}`, value)
    return value
  }
  if (typeof value !== 'string') {
    throw new UnitError(`must be ${d.noun}: a number or a string like "${d.example}", got ${describe(value)}`, value)
  }
  const m = QUANTITY.exec(value)
  const num = m?.[1]
  const unit = m?.[2] ?? ''
  if (num === undefined) {
    throw new UnitError(`missing number in "${value}"; write ${d.noun} like "${d.example}"`, value)
  }
  const n = Number(num)
  if (unit === '') return n
  const factor = d.units[unit]
  if (factor !== undefined) return n * factor
  throw new UnitError(unknownUnit(unit, dim), value)
}

function unknownUnit(unit: string, dim: Dimension): string {
  const names = Object.keys(info(dim).units)
  const lower = unit.toLowerCase()
  const other = DIMENSION_NAMES.find((o) => o !== dim && Object.hasOwn(info(o).units, unit))
  // Hints, most specific first: wrong case, a unit of another dimension, an extra or missing letter.
  const sameLetters = names.find((u) => u.toLowerCase() === lower)
  const prefix = names
    .filter((u) => lower.startsWith(u.toLowerCase()) || u.toLowerCase().startsWith(lower))
    .sort((a, b) => b.length - a.length)[0]
  const hint =
    sameLetters !== undefined
      ? ` (did you mean "${sameLetters}"? units are case-sensitive)`
      : other !== undefined
        ? ` ("${unit}" is ${info(other).noun} unit)`
        : prefix !== undefined
          ? ` (did you mean "${prefix}"?)`
          : ''
  return `unknown unit "${unit}" for ${info(dim).noun}; use ${unitList(dim)}${hint}`
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a map'
  return JSON.stringify(value) ?? String(value)
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * A JSON Schema `pattern` for strings of this dimension: an unsigned number
 * and, optionally, one of its units. Editors use it to flag typos as you type.
 */
export function quantityPattern(dim: Dimension): string {
  const units = Object.keys(info(dim).units)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
  return String.raw`^\s*(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*(${units.join('|')})?\s*$`
}

/** The noun and example for a dimension, for schema descriptions. */
export function describeDimension(dim: Dimension): { noun: string; base: string; example: string; units: string } {
  const d = info(dim)
  return { noun: d.noun, base: d.base, example: d.example, units: unitList(dim) }
}
