import type { OptionChecker } from '../protocol/OptionChecker.js'

export interface PublicUrls {
  /** The HTTP base that links (tracking pages) start with, without a trailing slash. */
  http?: string
  /** The WebSocket base that tracking URLs start with, without a trailing slash. */
  ws?: string
}

function base(check: OptionChecker, name: string, value: unknown, schemes: readonly string[]): string {
  let u: URL | undefined
  try {
    u = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    u = undefined
  }
  if (!u || !schemes.includes(u.protocol) || u.search || u.hash || u.username || u.password)
    check.fail(name, value, `a ${schemes.join(' or ')} URL without query, fragment or credentials`)
  return u.toString().replace(/\/+$/, '')
}

/**
 * Where clients reach the gateway when a proxy stands in front of it: the
 * links it returns are built on these rather than on the address it listens
 * on. The WebSocket base defaults to the HTTP one with ws/wss for http/https
 * (a proxy that routes both on one origin).
 */
export function resolvePublicUrls(check: OptionChecker, publicUrl: unknown, publicWsUrl: unknown): PublicUrls {
  const http = publicUrl === undefined ? undefined : base(check, 'publicUrl', publicUrl, ['http:', 'https:'])
  const ws =
    publicWsUrl !== undefined
      ? base(check, 'publicWsUrl', publicWsUrl, ['ws:', 'wss:'])
      : http?.replace(/^http(s?):/, (_m, s: string) => `ws${s}:`)
  return { ...(http ? { http } : {}), ...(ws ? { ws } : {}) }
}
