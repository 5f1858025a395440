import mqtt, { type MqttClient } from 'mqtt'
import t from 'tap'
import { type BrokerRole, brokerPolicy, covers } from '../broker/brokerPolicy.js'
import { DEFAULT_PREFIX, DEFAULT_REGION, topics } from '../protocol/topics.js'
import { SHIPPED_ACL, startDeployMosquitto } from './helpers/deployMosquitto.js'
import { aclAllows, aclFilters, parseAcl } from './helpers/mosquittoAcl.js'
import { requireMosquittoBinary } from './helpers/ownMosquitto.js'
import { until } from './helpers/until.js'

/**
 * deploy/mosquitto/acl is what confines each role on a real broker; the
 * embedded broker's policy (broker/brokerPolicy.ts) is what the project
 * means each role to do. They must agree, topic by topic, for the default
 * region and for a named one, and Mosquitto must read the file that way.
 */
const rules = parseAcl(SHIPPED_ACL)

/** The ACL's users and the roles of the policy each stands for (`dronefleet-service` is `serve --role all`: both). */
const USERS: Record<string, BrokerRole[]> = {
  'dronefleet-engine': ['engine'],
  'dronefleet-gateway': ['gateway'],
  'dronefleet-sim': ['sim'],
  'dronefleet-service': ['engine', 'gateway'],
  'd-17': ['drone'], // any other user is a drone
}
const REGIONS = [DEFAULT_REGION, 'north']

/** The topics and filters of one region, as protocol/topics.ts builds them: the ones a role uses and the ones it must not. */
function universe(region: string): { concrete: string[]; filters: string[] } {
  const T = topics(DEFAULT_PREFIX, region)
  return {
    concrete: [
      T.telemetry('d-17'),
      T.telemetry('d-2'),
      T.telemetryBatch(0),
      T.commands('d-17'),
      T.commands('d-2'),
      T.deliveryEvents('del-1'),
      T.tracking('del-1'),
      T.requests,
      T.simClock,
      T.engineWatermark,
      T.engineProbe('e-1'),
      T.engineStatus('e-1'),
    ],
    filters: [T.telemetryAll, T.telemetryBatchAll, T.commandsAll, T.deliveryEventsAll, T.trackingAll, T.engineProbeAll, T.engineStatusAll],
  }
}

function policyAllows(user: string, region: string, action: 'publish' | 'subscribe', topic: string): boolean {
  return USERS[user]!.some((role) => {
    const p = brokerPolicy([{ username: user, password: 'unused', role }], topics(DEFAULT_PREFIX, region))
    const who = { username: user, role }
    return action === 'publish' ? p.mayPublish(who, topic) : p.maySubscribe(who, topic)
  })
}

t.test('the shipped ACL grants each role exactly what the embedded policy grants, in the default region and a named one', async (t) => {
  t.ok(rules.length > 20, `${rules.length} rules read`)
  for (const user of Object.keys(USERS))
    for (const region of REGIONS) {
      const { concrete, filters } = universe(region)
      const differ: string[] = []
      for (const topic of concrete) {
        const pub = [policyAllows(user, region, 'publish', topic), aclAllows(rules, user, 'publish', topic)]
        if (pub[0] !== pub[1]) differ.push(`publish ${topic}: policy ${pub[0]}, ACL ${pub[1]}`)
      }
      for (const topic of [...concrete, ...filters]) {
        const sub = [policyAllows(user, region, 'subscribe', topic), aclAllows(rules, user, 'subscribe', topic)]
        if (sub[0] !== sub[1]) differ.push(`subscribe ${topic}: policy ${sub[0]}, ACL ${sub[1]}`)
      }
      t.same(differ, [], `${user}, region ${region}: the ACL and the policy agree`)
    }
})

t.test('every ACL line names topics that protocol/topics.ts builds', async (t) => {
  const known = REGIONS.flatMap((r) => {
    const u = universe(r)
    return [...u.concrete, ...u.filters]
  })
  for (const rule of rules) {
    const filter = rule.topic.replaceAll('%u', 'd-17')
    t.ok(filter.startsWith(`${DEFAULT_PREFIX}/`), `line ${rule.line}: ${rule.topic} is under ${DEFAULT_PREFIX}`)
    t.ok(
      known.some((topic) => covers(filter, topic)),
      `line ${rule.line}: ${rule.topic} matches a topic the project uses`,
    )
  }
  // Users named in the ACL are the roles' users; nothing else gets a block of its own.
  t.same(
    [...new Set(rules.flatMap((r) => (r.user ? [r.user] : [])))].sort(),
    Object.keys(USERS)
      .filter((u) => u.startsWith('dronefleet-'))
      .sort(),
  )
})

t.test('a Mosquitto started with the shipped mosquitto.conf and ACL confines each role as the policy says', async (t) => {
  if (!requireMosquittoBinary(t)) return
  const password = (user: string): string => `pw-${user}`
  const broker = await startDeployMosquitto(t, Object.fromEntries(Object.keys(USERS).map((u) => [u, password(u)])))

  // Each user on one connection; what it hears is kept with the topic it came on.
  const clients = new Map<string, MqttClient>()
  const heard = new Map<string, Array<{ topic: string; payload: string }>>()
  for (const user of Object.keys(USERS)) {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      username: user,
      password: password(user),
      reconnectPeriod: 0,
      clientId: `acl-${user}`,
    })
    heard.set(user, [])
    c.on('message', (topic, payload) => heard.get(user)!.push({ topic, payload: payload.toString() }))
    clients.set(user, c)
  }
  t.teardown(async () => {
    await Promise.all([...clients.values()].map((c) => c.endAsync(true)))
  })
  await t.rejects(
    mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: 'd-17', password: 'wrong', reconnectPeriod: 0 }),
    'a wrong password is refused',
  )

  const all = [...new Set(REGIONS.flatMap((r) => universe(r).concrete))]
  const writerOf = (topic: string): string | undefined => [...clients.keys()].find((u) => aclAllows(rules, u, 'publish', topic))
  // A topic each user may read, kept subscribed throughout: a message published there after a round has reached the
  // user once the user has it, since a broker hands a client its messages in order.
  const fenceOf = new Map([...clients.keys()].map((u) => [u, all.find((x) => aclAllows(rules, u, 'subscribe', x) && writerOf(x))]))
  for (const [user, fence] of fenceOf) {
    if (!fence) t.fail(`${user} may read no topic`)
    else await clients.get(user)!.subscribeAsync(fence, { qos: 1 })
  }

  // Every user subscribes to the topic and publishes on it. Mosquitto acknowledges every subscription (unlike the
  // embedded broker, which refuses one in SUBACK) and checks `read` as it hands each message on, and `write` as it
  // takes one in: so what each user hears is the test of both.
  for (const [round, topic] of all.entries()) {
    const writer = writerOf(topic)
    if (!writer) {
      t.fail(`${topic}: nobody may publish there`)
      continue
    }
    for (const c of clients.values()) await c.subscribeAsync(topic, { qos: 1 })
    for (const [user, c] of clients) await c.publishAsync(topic, `${round}:${user}`, { qos: 1 })
    for (const [user, fence] of fenceOf)
      if (fence) await clients.get(writerOf(fence)!)!.publishAsync(fence, `${round}:fence:${user}`, { qos: 1 })
    for (const [user, fence] of fenceOf)
      if (fence)
        await until(
          () => (heard.get(user)!.some((m) => m.topic === fence && m.payload === `${round}:fence:${user}`) ? true : undefined),
          10_000,
          `${user}'s fence after ${topic}`,
        )
    const publishers = [...clients.keys()].filter((u) => aclAllows(rules, u, 'publish', topic))
    const differ: string[] = []
    for (const [user, messages] of heard) {
      const got = messages
        .filter((m) => m.topic === topic && m.payload.startsWith(`${round}:`) && !m.payload.includes(':fence:'))
        .map((m) => m.payload.slice(`${round}:`.length))
        .sort()
      const expected = aclAllows(rules, user, 'subscribe', topic) ? [...publishers].sort() : []
      if (JSON.stringify(got) !== JSON.stringify(expected)) differ.push(`${user} heard [${got}], expected [${expected}]`)
    }
    t.same(
      differ,
      [],
      `${topic}: written by ${publishers.join(', ')}; read by ${[...clients.keys()].filter((u) => aclAllows(rules, u, 'subscribe', topic)).join(', ')}`,
    )
    t.same(
      publishers.filter((u) => !REGIONS.some((r) => policyAllows(u, r, 'publish', topic))),
      [],
      `${topic}: the policy lets each of its writers publish there`,
    )
    for (const [user, c] of clients) if (fenceOf.get(user) !== topic) await c.unsubscribeAsync(topic)
  }
  t.ok(
    aclFilters(rules, 'd-17', 'publish').every((f) => f.endsWith('/telemetry/d-17')),
    'a drone publishes only its own telemetry',
  )
})
