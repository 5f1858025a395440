import type { Server } from 'node:net'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'

/** Listens and resolves the bound port; EADDRINUSE becomes an error naming the flag to change. */
export function listenOn(server: Server, port: number, host: string, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(new DronefleetError(ErrorCodes.PORT_IN_USE, `port ${port} is already in use; choose another with ${flag}`, flag, port))
      } else reject(err)
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      const addr = server.address()
      resolve(typeof addr === 'object' && addr ? addr.port : port)
    })
  })
}
