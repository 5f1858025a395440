import { pino, type Logger } from 'pino'

/** Logs go to stderr as JSON lines; DRONEFLEET_LOG sets the level. */
export function createLogger(defaultLevel: string): Logger {
  return pino({ level: process.env.DRONEFLEET_LOG ?? defaultLevel, base: { pid: process.pid } }, pino.destination(2))
}
