import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import { ErrorCodes, type ErrorCode } from '../protocol/errors.js'

/**
 * Every error response is `application/problem+json` (RFC 9457) with a stable
 * `code`, so clients match on codes, not on prose.
 */

/** protocol/errors.ts has no code for "our bug"; this one is used only for 500s. */
export type ProblemCode = ErrorCode

export interface FieldError {
  /** JSON pointer into the request part, e.g. `/pickup/lat`. */
  field: string
  /** The offending value; absent when the field is missing. */
  value?: unknown
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  code: ProblemCode
  detail: string
  errors?: FieldError[]
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable',
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail)
    this.name = 'ProblemError'
  }
}

export function problem(status: number, code: ProblemCode, detail: string, errors?: FieldError[]): Problem {
  const p: Problem = { type: `urn:dronefleet:problem:${code}`, title: TITLES[status] ?? 'Error', status, code, detail }
  if (errors?.length) p.errors = errors
  return p
}

const MAX_FIELD_ERRORS = 20

/** Turns ajv errors (fastify runs ajv with `verbose`, so each carries `data`) into field errors. */
export function toFieldErrors(errors: FastifySchemaValidationError[]): FieldError[] {
  const out: FieldError[] = []
  // An anyOf failure also reports every branch's failure at the same path; keep only the anyOf one.
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  for (const e of errors) {
    if (out.length >= MAX_FIELD_ERRORS) break
    const v = e as FastifySchemaValidationError & { data?: unknown; parentSchema?: { description?: string } }
    const params = e.params as Record<string, unknown>
    if (e.keyword === 'required') {
      out.push({ field: `${e.instancePath}/${String(params.missingProperty)}`, message: 'is required' })
    } else if (e.keyword === 'additionalProperties') {
      const name = String(params.additionalProperty)
      const parent = v.data as Record<string, unknown> | undefined
      out.push({ field: `${e.instancePath}/${name}`, value: parent?.[name], message: 'is not an allowed property' })
    } else if (e.keyword === 'anyOf') {
      out.push({ field: e.instancePath, value: v.data, message: v.parentSchema?.description ?? e.message ?? 'is invalid' })
    } else if (!unions.has(e.instancePath)) {
      out.push({ field: e.instancePath || '/', value: v.data, message: e.message ?? 'is invalid' })
    }
  }
  return out
}

/** fastify `schemaErrorFormatter`: the validation error becomes a ProblemError before the error handler sees it. */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], part: string): Error {
  const fields = toFieldErrors(errors)
  const first = fields[0]
  const detail = first
    ? `${part} ${first.field} ${first.message}${'value' in first ? `, got ${JSON.stringify(first.value)}` : ''}` +
      (fields.length > 1 ? ` (and ${fields.length - 1} more, see errors)` : '')
    : `${part} is invalid`
  return new ProblemError(400, ErrorCodes.REQUEST_INVALID, detail, fields)
}

/** Maps anything thrown in a route (or by fastify itself) to a problem response. */
export function sendProblem(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let p: Problem
  if (err instanceof ProblemError) {
    p = problem(err.status, err.code, err.message, err.errors)
    if (err.headers) reply.headers(err.headers)
  } else {
    const status = (err as FastifyError).statusCode ?? 500
    const fcode = (err as FastifyError).code
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      p = problem(500, ErrorCodes.INTERNAL, 'internal error; see the gateway log')
    } else if (fcode === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      p = problem(400, ErrorCodes.REQUEST_INVALID, `request body is not valid JSON: ${err.message}`)
    } else {
      // Other client errors from fastify (empty body, wrong media type, too large): keep its status and message.
      p = problem(status, ErrorCodes.REQUEST_INVALID, err.message)
    }
  }
  return reply.code(p.status).type('application/problem+json').send(p)
}
