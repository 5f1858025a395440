import { DronefleetError, ErrorCodes, showValue } from './errors.js'

/** Bounds of a numeric option; every number must also be finite. */
export interface NumberRule {
  /** At least this. */
  min?: number
  /** More than this. */
  above?: number
  /** At most this. */
  max?: number
  /** Less than this. */
  below?: number
  integer?: boolean
}

/**
 * Checks the options one part is given in code, each once, when the part is
 * made: an absent option takes its default, a present one must be right or
 * the part refuses to start with a DF_OPTION_INVALID error that names the
 * part, the option and the value ("Supervisor option silenceFactor must be a
 * number > 0, got -1"). Parts nested in another are checked under its name
 * and a dotted path ("Engine option supervisor.silenceFactor ...").
 */
export class OptionChecker {
  constructor(
    readonly part: string,
    private readonly path = '',
  ) {}

  /** A checker for the options of a nested part, e.g. `at('supervisor')`. */
  at(name: string): OptionChecker {
    return new OptionChecker(this.part, this.field(name))
  }

  /** Throws DF_OPTION_INVALID for option `name` (or, with '', for the options of this checker's path as a whole). */
  fail(name: string, value: unknown, what: string): never {
    const field = this.field(name)
    const subject = field ? `${this.part} option ${field}` : `${this.part} options`
    throw new DronefleetError(ErrorCodes.OPTION_INVALID, `${subject} must be ${what}, got ${showValue(value)}`, field || undefined, value)
  }

  /** A number within `rule`; when absent, `fallback`, or an error when there is none (a required option). */
  number(name: string, value: unknown, fallback: number | undefined, rule: NumberRule): number {
    if (value === undefined && fallback !== undefined) return fallback
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!rule.integer || Number.isInteger(value)) &&
      (rule.min === undefined || value >= rule.min) &&
      (rule.above === undefined || value > rule.above) &&
      (rule.max === undefined || value <= rule.max) &&
      (rule.below === undefined || value < rule.below)
    if (!ok) this.fail(name, value, describe(rule))
    return value
  }

  boolean(name: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback
    if (typeof value !== 'boolean') this.fail(name, value, 'true or false')
    return value
  }

  /** A function option, such as an injected clock. */
  fn<F extends (...args: never[]) => unknown>(name: string, value: F | undefined, fallback: F): F {
    if (value === undefined) return fallback
    if (typeof value !== 'function') this.fail(name, value, 'a function')
    return value
  }

  /** An option the part cannot do without. */
  present<T>(name: string, value: T | undefined | null, what: string): T {
    if (value === undefined || value === null) this.fail(name, value, what)
    return value
  }

  private field(name: string): string {
    return this.path && name ? `${this.path}.${name}` : this.path || name
  }
}

/** "a whole number 0..65535", "a number > 0", "a number ≥ 0 and < 1". */
function describe(r: NumberRule): string {
  const noun = r.integer ? 'a whole number' : 'a number'
  if (r.min !== undefined && r.max !== undefined && r.above === undefined && r.below === undefined) return `${noun} ${r.min}..${r.max}`
  const parts = [
    r.above !== undefined ? `> ${r.above}` : r.min !== undefined ? `≥ ${r.min}` : undefined,
    r.below !== undefined ? `< ${r.below}` : r.max !== undefined ? `≤ ${r.max}` : undefined,
  ].filter((p) => p !== undefined)
  return parts.length > 0 ? `${noun} ${parts.join(' and ')}` : noun
}
