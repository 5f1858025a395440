import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ErrorCodes } from '../protocol/errors.js'
import { ProblemError } from './problem.js'

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * An `onRequest` hook for operator routes: `Authorization: Bearer <apiKey>`.
 * It runs before the body is parsed, so an anonymous caller learns nothing
 * about validation. Keys are compared as SHA-256 digests so the comparison is
 * constant-time whatever their lengths. With no key configured, routes are open.
 */
export function bearerAuth(apiKey: string | null): AuthHook {
  if (apiKey === null) return async () => {}
  const expected = digest(apiKey)
  return async (request) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    if (m && timingSafeEqual(digest(m[1] as string), expected)) return
    throw new ProblemError(ErrorCodes.UNAUTHORIZED, m ? 'the API key is not valid' : 'this route needs "Authorization: Bearer <api key>"', {
      headers: { 'www-authenticate': 'Bearer realm="dronefleet"' },
    })
  }
}
