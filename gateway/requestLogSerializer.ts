/** Query parameters that carry a secret: a tracking token, an operator's API key. */
const SECRET_PARAMS = /([?&](?:token|apiKey|api_key)=)[^&#]*/gi

/** The URL with the value of every secret query parameter replaced, for logs. */
export function redactQuerySecrets(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]')
}

interface LoggedRequest {
  method?: string
  url?: string
  host?: string
  ip?: string
  socket?: { remotePort?: number } | null
}

/**
 * How a request appears in the gateway's log (fastify logs `{req}` for each
 * one): fastify's own fields, with tracking tokens and API keys cut out of
 * the URL, since a log line is read by more people than a customer's link.
 */
export function requestLogSerializer(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactQuerySecrets(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }
}
