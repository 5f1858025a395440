import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import { listenOn } from './listenOn.js'

export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:PORT`, ready for any MQTT client. */
  url: string
  port: number
  aedes: Aedes
  close(): Promise<void>
}

/**
 * Starts an aedes broker on a TCP port (0 picks a free one). A port in use is
 * reported as a DronefleetError naming `flag`, so the user knows what to change.
 */
export async function startEmbeddedBroker(opts: { port: number; host?: string; flag?: string }): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker()
  // Small packets (telemetry, lockstep clock) must not wait for Nagle's algorithm.
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true)
    aedes.handle(socket)
  })
  const host = opts.host ?? '127.0.0.1'
  let port: number
  try {
    port = await listenOn(server, opts.port, host, opts.flag ?? '--mqtt-port')
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    throw err
  }
  return {
    url: `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    aedes,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
