import { Type, type TSchema } from '@sinclair/typebox'
import { ErrorCodes } from '../protocol/errors.js'
import { ProblemError } from './problem.js'

/**
 * Cursor pagination for list routes. A page is `{items, nextCursor}`; pass
 * `nextCursor` back as `cursor` for the next page, until it is null. Cursors
 * are opaque (base64url of the last item's sort key), so items added or
 * removed between pages never shift a page the way an offset would.
 */

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500

// Strings on purpose: the gateway's ajv does not coerce types, so numbers in a query string are parsed here.
export const PageQueryProps = {
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: `items per page, 1..${MAX_LIMIT} (default ${DEFAULT_LIMIT})` })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
}

/** The response schema of a page of `item`. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as ?cursor= for the next page; null on the last page' }),
  })
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface PageRequest {
  limit: number
  /** The sort key after which the page starts, or undefined for the first page. */
  after: string | undefined
}

function invalid(field: string, value: unknown, message: string): ProblemError {
  return new ProblemError(ErrorCodes.REQUEST_INVALID, `querystring ${field} ${message}, got ${JSON.stringify(value)}`, {
    errors: [{ field, value, message }],
  })
}

export function encodeCursor(key: string): string {
  return Buffer.from(`k:${key}`).toString('base64url')
}

/** Parses `limit` and `cursor` from a query, with a 400 naming the field and value when either is wrong. */
export function pageRequest(q: { limit?: string | undefined; cursor?: string | undefined }): PageRequest {
  let limit = DEFAULT_LIMIT
  if (q.limit !== undefined) {
    limit = Number(q.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw invalid('/limit', q.limit, `must be an integer in 1..${MAX_LIMIT}`)
  }
  let after: string | undefined
  if (q.cursor !== undefined) {
    const raw = /^[A-Za-z0-9_-]+$/.test(q.cursor) ? Buffer.from(q.cursor, 'base64url').toString() : ''
    if (!raw.startsWith('k:')) throw invalid('/cursor', q.cursor, 'is not a cursor this API returned')
    after = raw.slice(2)
  }
  return { limit, after }
}

/**
 * One page of `items`, which must already be sorted by `keyOf` in `compare`
 * order (ascending by default). Finds the start by binary search, so a page
 * costs O(log n + limit) on top of the caller's sort.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  req: PageRequest,
  compare: (a: string, b: string) => number = (a, b) => (a < b ? -1 : a > b ? 1 : 0),
): Page<T> {
  let start = 0
  if (req.after !== undefined) {
    let lo = 0
    let hi = items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compare(keyOf(items[mid] as T), req.after) <= 0) lo = mid + 1
      else hi = mid
    }
    start = lo
  }
  const page = items.slice(start, start + req.limit)
  const last = page[page.length - 1]
  const more = start + req.limit < items.length
  return { items: page, nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null }
}
