import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import { REGION_ID } from '../protocol/topics.js'

/** Flag parsers for commander: a bad value is an error naming the flag and the value. */
function flagError(flag: string, value: string, what: string): DronefleetError {
  // The field is the flag itself, without "(or VARIABLE)".
  return new DronefleetError(ErrorCodes.FLAG_INVALID, `${flag} must be ${what}, got "${value}"`, flag.split(' ')[0], value)
}

export const portFlag =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw flagError(flag, value, 'a port number 0..65535')
    return n
  }

export const positiveIntFlag =
  (flag: string, max = 1_000_000) =>
  (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1 || n > max) throw flagError(flag, value, `a whole number 1..${max}`)
    return n
  }

export const intFlag =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < 0) throw flagError(flag, value, 'a whole number ≥ 0')
    return n
  }

export const fractionFlag =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw flagError(flag, value, 'a fraction 0..1')
    return n
  }

export const speedFlag = (value: string): number | 'max' => {
  if (value === 'max') return 'max'
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw flagError('--speed', value, 'a number > 0 or "max"')
  return n
}

/**
 * A URL flag. With `env`, the variable that may give it instead (a URL with
 * a password belongs there, out of `ps`): its errors name both. A password
 * in a bad URL is not repeated in the error.
 */
export const urlFlag =
  (flag: string, protocols: string[], env?: string) =>
  (value: string): string => {
    const name = env ? `${flag} (or ${env})` : flag
    let u: URL
    try {
      u = new URL(value)
    } catch {
      throw flagError(name, value.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@'), `a URL (${protocols.join(', ')})`)
    }
    if (u.password) u.password = '***'
    const shown = u.password ? u.toString() : value
    if (!protocols.includes(u.protocol.replace(/:$/, ''))) throw flagError(name, shown, `a URL with scheme ${protocols.join(' or ')}`)
    return value
  }

export const choiceFlag =
  (flag: string, choices: readonly string[]) =>
  (value: string): string => {
    if (!choices.includes(value)) throw flagError(flag, value, `one of ${choices.join(', ')}`)
    return value
  }

/** `--start`: an ISO 8601 date-time, or `scenario` for the scenario file's own start. */
export const startFlag = (value: string): number | 'scenario' => {
  if (value === 'scenario') return 'scenario'
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN
  if (!Number.isFinite(ms)) throw flagError('--start', value, 'an ISO 8601 date-time (e.g. 2026-01-05T09:00:00Z) or "scenario"')
  return ms
}

/** `--regions a,b`: region ids, comma-separated (whether the scenario has them is checked once it is loaded). */
export const regionsFlag = (value: string): string[] => {
  const ids = value.split(',').map((s) => s.trim())
  const bad = ids.find((id) => !REGION_ID.test(id))
  if (bad !== undefined)
    throw flagError(
      '--regions',
      value,
      `region ids separated by commas (each 1-63 lowercase letters, digits, "_" or "-")${bad === '' ? '' : `; "${bad}" is not one`}`,
    )
  return [...new Set(ids)]
}
