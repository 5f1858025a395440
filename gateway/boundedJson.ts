import type { FastifyInstance } from 'fastify'
import { ErrorCodes } from '../protocol/errors.js'
import { ProblemError } from './problem.js'

/** No request body of this API nests deeper than a few levels; 32 leaves room and keeps every recursion shallow. */
export const MAX_JSON_DEPTH = 32

/** Whether `text` opens more than `max` arrays or objects inside each other (brackets in strings do not count). */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/**
 * fastify's JSON body parser (with its prototype-poisoning checks), behind a
 * depth check: a body of 8,000 nested brackets parses, but then overflows
 * the stack of whatever walks it (the validator, the error formatter) and
 * came back as a 500. Refused first, as a 400 problem.
 */
export function registerBoundedJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new ProblemError(ErrorCodes.REQUEST_INVALID, `request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, {
          status: 400,
        }),
        undefined,
      )
      return
    }
    parse(request, text, done)
  })
}
