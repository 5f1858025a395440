import { OptionChecker } from '../protocol/OptionChecker.js'
import { type PublicUrls, resolvePublicUrls } from './publicUrls.js'
import { checkBasemap, type Basemap } from './basemap.js'

/** The gateway's settings; resolveGatewayOptions fills in each default named here. */
export interface GatewayTunables {
  /** Default 127.0.0.1. */
  host?: string
  /** 0 picks a free port. */
  httpPort: number
  wsPort: number
  /** When set, operator routes need `Authorization: Bearer <key>`; /healthz, /readyz, /metrics stay open. */
  apiKey: string | null
  /** HMAC key for tracking tokens; every gateway that must accept a token needs the same one. */
  trackingSecret: Buffer
  /** Default 24 h. */
  trackingTokenTtlS?: number
  /** Wall clock, ms since the epoch. Default Date.now. */
  now?: () => number
  /** How long POST/DELETE wait for the broker's PUBACK before answering 503. Default 5000. */
  publishTimeoutMs?: number
  /** Delivery requests that may wait for the engine's DeliveryCreated before POST answers 503. Default 1000. */
  maxPendingRequests?: number
  /** /readyz fails while the engine lags more than this. Default 5000 ms. */
  maxEngineLagMs?: number
  /** WebSocket ping interval; a client that misses a pong is closed. Default 30 s, 0 disables. */
  heartbeatMs?: number
  /** How often /v1/fleet sends the fleet. Default 1000 ms. */
  fleetIntervalMs?: number
  /** A tracking client with more unsent bytes than this gets only the newest tracking message. Default 64 KiB. */
  coalesceAboveBytes?: number
  /** The HTTP base URL clients use (behind a proxy); links the gateway returns start with it. Default: the address it listens on. */
  publicUrl?: string
  /** The WebSocket base URL clients use. Default: publicUrl with ws/wss, else the address the socket listens on. */
  publicWsUrl?: string
  /** Map tiles under the tracking page and the operator map. Default null: no tiles, nothing fetched from elsewhere. */
  basemap?: Basemap | null
}

export type ResolvedGatewayOptions<O extends GatewayTunables> = Readonly<
  O & Required<Omit<GatewayTunables, 'publicUrl' | 'publicWsUrl'>> & { publicUrls: PublicUrls }
>

const PORT = { min: 0, max: 65_535, integer: true } as const

/**
 * The gateway's options with every default filled in, checked and frozen. A
 * bad one is a DF_OPTION_INVALID error naming it and its value, before any
 * port is opened: a negative timeout or a zero window would otherwise make
 * a gateway that refuses everything, or waits for ever, without saying why.
 */
export function resolveGatewayOptions<O extends GatewayTunables>(o: O, check = new OptionChecker('Gateway')): ResolvedGatewayOptions<O> {
  const host = o.host ?? '127.0.0.1'
  if (typeof host !== 'string') check.fail('host', host, 'a host name or address')
  if (o.apiKey !== null && (typeof o.apiKey !== 'string' || o.apiKey === ''))
    check.fail('apiKey', o.apiKey, 'a non-empty string, or null for open routes')
  if (!Buffer.isBuffer(o.trackingSecret) || o.trackingSecret.length === 0)
    check.fail('trackingSecret', o.trackingSecret, 'a non-empty Buffer')
  return Object.freeze({
    ...o,
    host,
    httpPort: check.number('httpPort', o.httpPort, undefined, PORT),
    wsPort: check.number('wsPort', o.wsPort, undefined, PORT),
    now: check.fn('now', o.now, Date.now),
    trackingTokenTtlS: check.number('trackingTokenTtlS', o.trackingTokenTtlS, 24 * 3600, { above: 0 }),
    publishTimeoutMs: check.number('publishTimeoutMs', o.publishTimeoutMs, 5000, { above: 0 }),
    maxPendingRequests: check.number('maxPendingRequests', o.maxPendingRequests, 1000, { min: 1, integer: true }),
    maxEngineLagMs: check.number('maxEngineLagMs', o.maxEngineLagMs, 5000, { above: 0 }),
    // 0 turns the WebSocket heartbeat off.
    heartbeatMs: check.number('heartbeatMs', o.heartbeatMs, 30_000, { min: 0 }),
    fleetIntervalMs: check.number('fleetIntervalMs', o.fleetIntervalMs, 1000, { above: 0 }),
    coalesceAboveBytes: check.number('coalesceAboveBytes', o.coalesceAboveBytes, 64 * 1024, { min: 0, integer: true }),
    publicUrls: resolvePublicUrls(check, o.publicUrl, o.publicWsUrl),
    basemap: checkBasemap(check, o.basemap),
  })
}
