import { connect } from 'node:net'
import type { Test } from 'tap'

export const MOSQUITTO_URL = process.env.DRONEFLEET_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883'

function reachable(url: string): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 1883) })
    s.setTimeout(2000)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
    s.once('timeout', () => {
      s.destroy()
      resolve(false)
    })
  })
}

/**
 * Whether tests that need the Mosquitto broker may run. Under CI a missing
 * broker is an error, so a green run always includes these tests; elsewhere
 * the test is skipped with a visible notice.
 */
export async function requireMosquitto(t: Test): Promise<boolean> {
  if (await reachable(MOSQUITTO_URL)) return true
  const why = `Mosquitto is not reachable at ${MOSQUITTO_URL}`
  if (process.env.CI === 'true') {
    t.fail(`${why}; CI needs it (.ci/run installs and starts it)`)
    return false
  }
  process.stderr.write(`\nNOTICE: ${why}; skipping "${t.name}". Start it with: mosquitto -d\n`)
  t.comment(`NOTICE: ${why}; skipped`)
  t.skip(why, () => undefined)
  return false
}
