import { DronefleetError, ErrorCodes } from '../protocol/errors.js'
import type { ListQuery } from './Store.js'

export const MAX_LIST_LIMIT = 1000

/**
 * A list cursor is the creation number of the last delivery of the page, in
 * decimal: deliveries are listed by it, newest first, so a page goes on
 * below it whatever was created since.
 */
export function listBounds(q: ListQuery): { limit: number; before: number } {
  const limit = Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(q.limit)))
  if (q.after === undefined) return { limit, before: Number.MAX_SAFE_INTEGER }
  const before = /^[0-9]{1,15}$/.test(q.after) ? Number(q.after) : NaN
  if (!Number.isSafeInteger(before))
    throw new DronefleetError(ErrorCodes.REQUEST_INVALID, `not a list cursor of this store: ${JSON.stringify(q.after)}`, 'after', q.after)
  return { limit, before }
}

/** `next` of a page of `limit` that holds `items` ending at creation number `lastN`. */
export function nextCursor(count: number, limit: number, lastN: number | undefined): string | null {
  return count === limit && lastN !== undefined && lastN > 1 ? String(lastN) : null
}
