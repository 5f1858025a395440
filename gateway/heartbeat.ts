import type uWS from 'uWebSockets.js'

/** Socket user data the heartbeat reads and the `pong` handler sets. */
export interface Beating {
  alive: boolean
}

export interface Heartbeat {
  stop(): void
}

/**
 * Pings every socket each `everyMs`; a socket that has not answered the
 * previous ping (its `pong` handler sets `alive`) is a dead peer and is
 * closed at once, without waiting for a close handshake it will never send.
 * Explicit rather than uWS's idle timer, whose clock any send restarts: a
 * client that vanished without a FIN would stay "alive" while we talk to it.
 */
export function startHeartbeat(everyMs: number, sockets: () => Iterable<uWS.WebSocket<Beating>>): Heartbeat {
  const timer = setInterval(() => {
    for (const ws of [...sockets()]) {
      const u = ws.getUserData()
      if (!u.alive) {
        ws.close()
        continue
      }
      u.alive = false
      ws.ping()
    }
  }, everyMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
