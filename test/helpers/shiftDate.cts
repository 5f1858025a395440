/**
 * Preloaded into a CLI that a test spawns (NODE_OPTIONS=--require=…): moves
 * the wall clock, Date.now() and `new Date()`, by DRONEFLEET_TEST_DATE_SHIFT_MS,
 * in the main thread and in every worker thread (Node 20 runs `--require`
 * preloads in workers, not `--import` ones). CommonJS for that reason. Says
 * on stderr, once per thread, what date it now is, so the test can check
 * that every thread saw it.
 */
import { isMainThread } from 'node:worker_threads'

const shift = Number(process.env.DRONEFLEET_TEST_DATE_SHIFT_MS ?? '0')
const Real = Date
const realNow = Real.now.bind(Real)

const Shifted = function (this: unknown, ...args: unknown[]): Date | string {
  const d = args.length === 0 ? new Real(realNow() + shift) : (Reflect.construct(Real, args) as Date)
  return new.target ? d : d.toString()
}
Object.setPrototypeOf(Shifted, Real)
Shifted.prototype = Real.prototype
Object.defineProperty(Shifted, 'now', { value: () => realNow() + shift })
globalThis.Date = Shifted as unknown as DateConstructor

process.stderr.write(`# shifted clock (${isMainThread ? 'main' : 'worker'}): ${new Date().toISOString()}\n`)
