import type { Logger } from 'pino'
import { OptionChecker } from '../protocol/OptionChecker.js'
import type { BrokerPolicy } from './brokerPolicy.js'

export interface EmbeddedBrokerOptions {
  /** TCP port; 0 picks a free one. */
  port: number
  /** Default 127.0.0.1. */
  host?: string
  /** The flag a port in use tells the user to change. Default --mqtt-port. */
  flag?: string
  /** Without a policy every client may connect and do anything (tests of other parts). */
  policy?: BrokerPolicy
  logger?: Logger | undefined
  /** A subscriber with more than this many bytes waiting on its socket loses QoS 0 messages until it catches up. Default 4 MiB. */
  maxBufferedBytes?: number
  /** What a client may send before it is authenticated (its CONNECT, mostly), bytes. Default 64 KiB. */
  maxConnectBytes?: number
  /** The largest packet an authenticated client may send, bytes (a 1,000-drone batch frame is 48 KB). Default 1 MiB. */
  maxPacketBytes?: number
}

type Filled = Required<Pick<EmbeddedBrokerOptions, 'port' | 'host' | 'flag' | 'maxBufferedBytes'>>

/** Defaults of the packet bounds (the broker applies them; the resolved options hold only what was given). */
export const DEFAULT_MAX_CONNECT_BYTES = 64 * 1024
export const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024

export type ResolvedEmbeddedBrokerOptions = Readonly<Omit<EmbeddedBrokerOptions, keyof Filled> & Filled>

/** The embedded broker's options with every default filled in, checked and frozen; a bad one is DF_OPTION_INVALID. */
export function resolveEmbeddedBrokerOptions(
  o: EmbeddedBrokerOptions,
  check = new OptionChecker('Embedded broker'),
): ResolvedEmbeddedBrokerOptions {
  const host = o.host ?? '127.0.0.1'
  if (typeof host !== 'string') check.fail('host', host, 'a host name or address')
  const flag = o.flag ?? '--mqtt-port'
  if (typeof flag !== 'string') check.fail('flag', flag, 'a flag name')
  if (o.policy !== undefined && (typeof o.policy !== 'object' || o.policy === null)) check.fail('policy', o.policy, 'a BrokerPolicy')
  return Object.freeze({
    ...o,
    port: check.number('port', o.port, undefined, { min: 0, max: 65_535, integer: true }),
    host,
    flag,
    maxBufferedBytes: check.number('maxBufferedBytes', o.maxBufferedBytes, 4 * 1024 * 1024, { above: 0, integer: true }),
    ...(o.maxConnectBytes === undefined
      ? {}
      : { maxConnectBytes: check.number('maxConnectBytes', o.maxConnectBytes, undefined, { above: 0, integer: true }) }),
    ...(o.maxPacketBytes === undefined
      ? {}
      : { maxPacketBytes: check.number('maxPacketBytes', o.maxPacketBytes, undefined, { above: 0, integer: true }) }),
  })
}
