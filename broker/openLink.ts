import type { Logger } from 'pino'
import type { BrokerLink } from '../protocol/BrokerLink.js'
import type { EmbeddedBroker } from './embeddedBroker.js'
import { InProcessLink } from './InProcessLink.js'

/** A broker link with the way to close it. */
export interface OpenLink {
  link: BrokerLink
  close(): Promise<unknown>
}

/**
 * The link a part of the service (engine, gateway) talks over: in-process
 * into the embedded broker when there is one, otherwise the MQTT client
 * `connect` opens.
 */
export async function openLink(
  embedded: EmbeddedBroker | null,
  connect: () => Promise<BrokerLink & { endAsync(): Promise<unknown> }>,
  logger?: Logger,
): Promise<OpenLink> {
  if (embedded) {
    const link = new InProcessLink(embedded.aedes, logger)
    return { link, close: () => link.end() }
  }
  const client = await connect()
  return { link: client, close: () => client.endAsync() }
}
