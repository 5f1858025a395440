import { DronefleetError, ErrorCodes } from '../protocol/errors.js'

/**
 * `p`, or a DF_LOAD_STALLED error once `ms` have passed without it: a load
 * test waits on its own threads and connections, and one that stops answering
 * must end the run with a message saying what it waited for, not hang it.
 * `what` is asked at expiry, so it can say how far things got.
 */
export function deadline<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DronefleetError(ErrorCodes.LOAD_STALLED, `${what()} after ${Math.round(ms / 1000)} s`)), ms)
  })
  return Promise.race([p, expired]).finally(() => clearTimeout(timer))
}
