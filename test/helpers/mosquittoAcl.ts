import { readFileSync } from 'node:fs'
import { covers } from '../../broker/brokerPolicy.js'

/** One `topic` or `pattern` line of a Mosquitto ACL file. */
export interface AclRule {
  /** The `user` block it is in; undefined for a `pattern` line, which applies to everyone. */
  user: string | undefined
  access: 'read' | 'write' | 'readwrite'
  /** The topic filter, `%u` not yet replaced. */
  topic: string
  line: number
}

/**
 * Parses the subset of the ACL format the shipped file uses: user blocks of
 * `topic` lines, and `pattern` lines, which Mosquitto applies to every user
 * wherever they stand.
 */
export function parseAcl(file: string): AclRule[] {
  const rules: AclRule[] = []
  let user: string | undefined
  for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const [word, ...rest] = line.split(/\s+/)
    if (word === 'user' && rest.length === 1) {
      user = rest[0]
      continue
    }
    if ((word === 'topic' || word === 'pattern') && rest.length >= 1) {
      const [access, topic] = rest.length === 1 ? ['readwrite', rest[0]!] : [rest[0]!, rest[1]!]
      if (access !== 'read' && access !== 'write' && access !== 'readwrite') throw new Error(`${file}:${i + 1}: access "${access}"`)
      rules.push({ user: word === 'pattern' ? undefined : user, access, topic, line: i + 1 })
      continue
    }
    throw new Error(`${file}:${i + 1}: not understood: ${line}`)
  }
  return rules
}

/** The filters a user gets for an action: its own `topic` lines and every `pattern` line with `%u` replaced. */
export function aclFilters(rules: readonly AclRule[], username: string, action: 'publish' | 'subscribe'): string[] {
  const want = action === 'publish' ? 'write' : 'read'
  return rules
    .filter((r) => (r.user === undefined || r.user === username) && (r.access === want || r.access === 'readwrite'))
    .map((r) => (r.user === undefined ? r.topic.replaceAll('%u', username) : r.topic))
}

/** Whether Mosquitto lets `username` publish on `topic`, or subscribe to the filter `topic`, by these rules. */
export function aclAllows(rules: readonly AclRule[], username: string, action: 'publish' | 'subscribe', topic: string): boolean {
  return aclFilters(rules, username, action).some((f) => covers(f, topic))
}
