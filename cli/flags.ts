import { DronefleetError, ErrorCodes } from '../protocol/errors.js'

/** Flag parsers for commander: a bad value is an error naming the flag and the value. */
function flagError(flag: string, value: string, what: string): DronefleetError {
  return new DronefleetError(ErrorCodes.FLAG_INVALID, `${flag} must be ${what}, got "${value}"`, flag, value)
}

export const portFlag = (flag: string) => (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw flagError(flag, value, 'a port number 0..65535')
  return n
}

export const positiveIntFlag = (flag: string, max = 1_000_000) => (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max) throw flagError(flag, value, `a whole number 1..${max}`)
  return n
}

export const intFlag = (flag: string) => (value: string): number => {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw flagError(flag, value, 'a whole number ≥ 0')
  return n
}

export const speedFlag = (value: string): number | 'max' => {
  if (value === 'max') return 'max'
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw flagError('--speed', value, 'a number > 0 or "max"')
  return n
}

export const urlFlag = (flag: string, protocols: string[]) => (value: string): string => {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw flagError(flag, value, `a URL (${protocols.join(', ')})`)
  }
  if (!protocols.includes(u.protocol.replace(/:$/, ''))) throw flagError(flag, value, `a URL with scheme ${protocols.join(' or ')}`)
  return value
}

export const choiceFlag = (flag: string, choices: readonly string[]) => (value: string): string => {
  if (!choices.includes(value)) throw flagError(flag, value, `one of ${choices.join(', ')}`)
  return value
}
