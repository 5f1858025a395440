import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import { DronefleetError, ErrorCodes, statusOf, type ErrorCode } from '../protocol/errors.js'

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
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export interface ProblemDetails {
  errors?: FieldError[] | undefined
  headers?: Record<string, string> | undefined
  /**
   * Only where one code legitimately answers with another status than its
   * own: REQUEST_INVALID as 422 for a well-formed request that is refused,
   * and as fastify's status for what fastify refuses itself.
   */
  status?: number | undefined
}

/** An error a route answers with: its status comes from its code (protocol/errors.ts). */
export class ProblemError extends DronefleetError {
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string> | undefined
  private readonly explicitStatus: number | undefined

  constructor(code: ProblemCode, detail: string, more: ProblemDetails = {}) {
    super(code, detail, more.errors?.[0]?.field, more.errors?.[0]?.value)
    this.name = 'ProblemError'
    this.errors = more.errors
    this.headers = more.headers
    this.explicitStatus = more.status
  }

  override get status(): number {
    return this.explicitStatus ?? super.status
  }
}

export function problem(code: ProblemCode, detail: string, errors?: FieldError[], status = statusOf(code)): Problem {
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
  return new ProblemError(ErrorCodes.REQUEST_INVALID, detail, { errors: fields })
}

/** Maps anything thrown in a route (or by fastify itself) to a problem response. */
export function sendProblem(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let p: Problem
  if (err instanceof ProblemError) {
    p = problem(err.code, err.message, err.errors, err.status)
    if (err.headers) reply.headers(err.headers)
  } else {
    const status = (err as FastifyError).statusCode ?? 500
    const fcode = (err as FastifyError).code
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      p = problem(ErrorCodes.INTERNAL, 'internal error; see the gateway log')
    } else if (fcode === 'FST_ERR_MAX_PARAM_LENGTH') {
      p = problem(ErrorCodes.REQUEST_INVALID, 'a path parameter (an id) is longer than 100 characters', undefined, status)
    } else if (fcode === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      p = problem(ErrorCodes.REQUEST_INVALID, `request body is not valid JSON: ${err.message}`)
    } else {
      // Other client errors from fastify (empty body, wrong media type, too large): keep its status and message.
      p = problem(ErrorCodes.REQUEST_INVALID, err.message, undefined, status)
    }
  }
  return reply.code(p.status).type('application/problem+json').send(p)
}
