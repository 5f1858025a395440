import { spawnSync } from 'node:child_process'
import { chmodSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { DEPLOY } from './deployFiles.js'
import { type OwnMosquitto, startOwnMosquitto } from './ownMosquitto.js'

export const SHIPPED_ACL = join(DEPLOY, 'mosquitto', 'acl')
export const SHIPPED_CONF = join(DEPLOY, 'mosquitto', 'mosquitto.conf')

/**
 * A Mosquitto of the test's own that runs deploy/mosquitto/mosquitto.conf
 * line for line, but for where it listens and keeps its files, with the
 * shipped ACL and a password file of these users.
 */
export async function startDeployMosquitto(t: Test, passwords: Record<string, string>): Promise<OwnMosquitto> {
  const broker = await startOwnMosquitto(t)
  const passwd = join(broker.dir, 'passwd')
  for (const [i, [user, password]] of Object.entries(passwords).entries()) {
    const r = spawnSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwd, user, password])
    if (r.status !== 0) throw new Error(`mosquitto_passwd ${user}: ${r.stderr}`)
  }
  chmodSync(passwd, 0o644) // mosquitto, started as root, reads it as its own user
  const shipped = readFileSync(SHIPPED_CONF, 'utf8').split('\n')
  if (!shipped.some((l) => l.startsWith('password_file ')) || !shipped.some((l) => l.startsWith('acl_file ')))
    throw new Error(`${SHIPPED_CONF} names no password_file or no acl_file`)
  const conf = shipped
    .filter((l) => !/^(listener|persistence_location)\b/.test(l))
    .map((l) => l.replace(/^password_file .*/, `password_file ${passwd}`).replace(/^acl_file .*/, `acl_file ${SHIPPED_ACL}`))
  await broker.stop()
  broker.configure(conf.join('\n'))
  await broker.start()
  return broker
}
