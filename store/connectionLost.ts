/** The PostgreSQL connection was cut (server restart, terminated backend, network): a new one may do. */
export function connectionLost(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? '')
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code.startsWith('08') ||
    code.startsWith('57P0') ||
    (err instanceof Error && /Connection terminated|not queryable/i.test(err.message))
  )
}
