import type { Socket } from 'node:net'

/**
 * Holds a socket's writes until the event loop's next turn, so that the many
 * small packets written during one turn leave in one writev.
 *
 * aedes hands each QoS 0 delivery to a setImmediate of its own, and
 * mqtt-packet uncorks on the next tick, so without this every delivery is a
 * syscall of its own: at 40k messages/s to two subscribers that was a third
 * of the broker's time. Corking until the next turn batches a whole
 * immediate phase; the cost is at most one loop turn of delay.
 */
export function coalesceWrites(socket: Socket): void {
  let held = false
  const release = (): void => {
    held = false
    if (!socket.destroyed) socket.uncork()
  }
  const write = socket.write
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!held) {
      held = true
      socket.cork()
      setImmediate(release)
    }
    return write.apply(this, args)
  } as Socket['write']
}
