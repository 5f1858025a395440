import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { choiceFlag, portFlag, urlFlag } from '../cli/flags.js'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import { ROOT, spawnCli } from './helpers/cli.js'
import { type CliFlag, cliFlags, readInvocation } from './helpers/cliFlags.js'
import { type Container, composeFile, DEPLOY, type K8sObject, k8sObjects, podTemplate } from './helpers/deployFiles.js'
import { composeInvocations, composeResolver, type Invocation, k8sInvocations, readEnvFile } from './helpers/deployInvocations.js'
import { startDeployMosquitto } from './helpers/deployMosquitto.js'
import { requireMosquittoBinary } from './helpers/ownMosquitto.js'
import { requirePostgres, tempDatabase } from './helpers/postgres.js'
import { until } from './helpers/until.js'
import { freePort } from './helpers/freePort.js'

/**
 * How the deployment files fit together and with the program: every flag is
 * one the CLI has, with a value it accepts; each role reaches the broker as
 * its own user with the password Mosquitto was given; ports, probes,
 * Services and the load balancer agree; every Secret and ConfigMap key a pod
 * reads exists; every probe path answers on a running service.
 */

const compose = composeFile()
const exampleEnv = readEnvFile(join(DEPLOY, 'example.env'))
const resolveCompose = composeResolver(exampleEnv)
const objects = k8sObjects().map((o) => o.object)
const secretObject = objects.find((o) => o.kind === 'Secret') as K8sObject & { stringData: Record<string, string> }
const configObject = objects.find((o) => o.kind === 'ConfigMap') as K8sObject & { data: Record<string, string> }
const names = { secret: secretObject.metadata.name, config: configObject.metadata.name }
const invocations: Invocation[] = [
  ...composeInvocations(compose, resolveCompose),
  ...k8sInvocations(objects, secretObject.stringData, configObject.data, names),
]

const flagsOf = new Map<string, Map<string, CliFlag>>()
for (const command of ['serve', 'sim']) flagsOf.set(command, await cliFlags(command))
/** The engine and gateway roles are being built beside these files; until `serve` has --role, what needs it is a todo. */
const rolesLanded = flagsOf.get('serve')!.has('--role')
const PENDING_FLAGS = new Set(['--role'])
const ROLES_TODO = 'serve --role (engine, gateway) is not in this build of the CLI yet'

const ROLE_USER: Record<string, string> = {
  all: 'dronefleet-service',
  engine: 'dronefleet-engine',
  gateway: 'dronefleet-gateway',
  sim: 'dronefleet-sim',
}
const brokerUrl = urlFlag('--broker', ['mqtt', 'mqtts', 'tcp', 'ws', 'wss'])
const PARSERS: Record<string, (v: string) => unknown> = {
  '--role': choiceFlag('--role', ['all', 'engine', 'gateway']),
  '--http-port': portFlag('--http-port'),
  '--ws-port': portFlag('--ws-port'),
  '--mqtt-port': portFlag('--mqtt-port'),
  '--broker': brokerUrl,
  '--store': urlFlag('--store', ['postgres', 'postgresql']),
  '--gateway': urlFlag('--gateway', ['http', 'https']),
  '--public-url': urlFlag('--public-url', ['http', 'https']),
  '--public-ws-url': urlFlag('--public-ws-url', ['ws', 'wss']),
}

interface Read {
  inv: Invocation
  command: string
  role: string
  /** The flags on its command line. */
  flags: Map<string, string>
  /** Those and the flags its environment gives instead (DRONEFLEET_BROKER for --broker), with their values. */
  given: Map<string, string>
  unknown: string[]
  positional: string[]
  /** A flag's value, or the default `--help` gives. */
  get(flag: string): string | undefined
  sourcesOf(flag: string): string[]
}

function read(inv: Invocation): Read {
  const known = flagsOf.get(inv.args[0]!) ?? new Map<string, CliFlag>()
  const r = readInvocation(inv.args, known)
  // A flag the command line does not give, its variable may (the flag would win).
  const envOf = (flag: string): string | undefined => (r.flags.has(flag) ? undefined : known.get(flag)?.env)
  const given = new Map(r.flags)
  for (const [flag, f] of known) {
    const value = f.env && !r.flags.has(flag) ? inv.envValues.get(f.env) : undefined
    if (value !== undefined) given.set(flag, value)
  }
  const sourcesOf = (flag: string): string[] => {
    const i = inv.args.indexOf(flag)
    if (i >= 0) return inv.argSources[i + 1] ?? []
    const name = envOf(flag)
    return name ? (inv.env.get(name) ?? []) : []
  }
  return {
    inv,
    command: r.command,
    role: r.command === 'sim' ? 'sim' : (r.flags.get('--role') ?? 'all'),
    flags: r.flags,
    given,
    unknown: r.unknown,
    positional: r.positional,
    get: (flag) => given.get(flag) ?? known.get(flag)?.default,
    sourcesOf,
  }
}
const runs = invocations.map(read)
const serves = runs.filter((r) => r.command === 'serve')

t.test('the files start engines, gateways and a simulator, in compose and in Kubernetes', async (t) => {
  for (const where of ['compose', 'Deployment', 'Job']) {
    const here = runs.filter((r) => r.inv.where.startsWith(where))
    t.ok(here.length > 0, `${where}: ${here.map((r) => `${r.inv.where} (${r.role})`).join('; ')}`)
  }
  const roles = (prefix: string): string[] => [...new Set(runs.filter((r) => r.inv.where.startsWith(prefix)).map((r) => r.role))].sort()
  t.same(roles('compose'), ['engine', 'gateway', 'sim'])
  t.same(roles('Deployment'), ['engine', 'gateway'])
  t.equal(runs.filter((r) => /^compose service engine/.test(r.inv.where)).length, 2, 'two engines in compose')
  t.equal(runs.filter((r) => /^compose service gateway/.test(r.inv.where)).length, 2, 'two gateways in compose')
})

t.test('every dronefleet command uses only flags the CLI has, with values its parsers accept', async (t) => {
  for (const r of runs) {
    t.ok(flagsOf.has(r.command), `${r.inv.where}: dronefleet ${r.command} is a command`)
    t.same(r.inv.unresolved, [], `${r.inv.where}: every variable in its arguments is defined`)
    t.same(
      r.unknown.filter((f) => !PENDING_FLAGS.has(f)),
      [],
      `${r.inv.where}: dronefleet ${r.command} has every flag it is given`,
    )
    const pending = r.unknown.filter((f) => PENDING_FLAGS.has(f))
    if (pending.length > 0) t.same(pending, [], `${r.inv.where}: dronefleet ${r.command} has ${pending.join(', ')}`, { todo: ROLES_TODO })
    for (const [flag, value] of r.given) {
      const parse = PARSERS[flag]
      if (parse) t.doesNotThrow(() => parse(value), `${r.inv.where}: ${flag} ${value} is accepted`)
    }
    if (r.command === 'serve') {
      t.equal(r.get('--host'), '0.0.0.0', `${r.inv.where}: listens on every interface, where probes and peers reach it`)
      if (r.role !== 'all') {
        t.ok(r.given.has('--store') && r.given.has('--broker'), `${r.inv.where}: role ${r.role} has --store and --broker`)
        t.notOk(r.flags.has('--data'), `${r.inv.where}: and no embedded store`)
      }
      const scenario = r.flags.get('--scenario')
      t.ok(scenario && r.inv.hasFile(scenario), `${r.inv.where}: the scenario ${scenario} is mounted`)
    } else {
      t.ok(r.positional[0] && r.inv.hasFile(r.positional[0]), `${r.inv.where}: the scenario ${r.positional[0]} is mounted`)
      t.equal(r.positional.length, 1, `${r.inv.where}: one scenario`)
    }
  }
})

t.test('no secret is on a command line: passwords, keys and the URLs that carry them come in the environment', async (t) => {
  for (const r of runs) {
    const secretArgs = r.inv.args.filter((_a, i) =>
      (r.inv.argSources[i] ?? []).some((s) => s.startsWith('secret:') || s.startsWith('env:')),
    )
    t.same(secretArgs, [], `${r.inv.where}: its arguments (what \`ps\` shows) hold no secret`)
    t.same(r.inv.unresolved, [], `${r.inv.where}: every variable of its arguments is defined`)
    for (const flag of ['--broker', '--store', '--api-key']) {
      if (!r.given.has(flag)) continue
      t.notOk(r.flags.has(flag), `${r.inv.where}: ${flag} comes from the environment`)
    }
    t.ok(r.given.has('--broker'), `${r.inv.where}: it has a broker (DRONEFLEET_BROKER)`)
  }
})

/** The users Mosquitto's password file is made of, each with the sources of its password. */
function composeBrokerUsers(): Map<string, string[]> {
  const m = compose.services.mosquitto!
  const script = m.entrypoint?.at(-1) ?? ''
  return new Map(
    [...script.matchAll(/mosquitto_passwd\b[^\n]*?\s(\S+)\s+"\$\$([A-Z][A-Z0-9_]*)"/g)].map(([, user, name]) => [
      user!,
      resolveCompose(m.environment?.[name!] ?? '').sources,
    ]),
  )
}

function k8sBrokerUsers(): Map<string, string[]> {
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'mosquitto')!
  const init = podTemplate(sts)!.spec.initContainers?.[0] as Container
  const script = init.command?.at(-1) ?? ''
  const env = new Map((init.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef?.key]))
  return new Map(
    [...script.matchAll(/mosquitto_passwd\b[^\n]*?\s(\S+)\s+"\$([A-Z][A-Z0-9_]*)"/g)].map(([, user, name]) => [
      user!,
      [`secret:${env.get(name!)}`],
    ]),
  )
}

t.test("each role reaches the broker as its own user, with the password Mosquitto's file was made with", async (t) => {
  const aclUsers = [...readFileSync(join(DEPLOY, 'mosquitto', 'acl'), 'utf8').matchAll(/^user (\S+)$/gm)].map((m) => m[1])
  for (const [kind, users] of [
    ['compose', composeBrokerUsers()],
    ['Kubernetes', k8sBrokerUsers()],
  ] as const) {
    t.ok(users.size >= 3, `${kind}: Mosquitto gets ${[...users.keys()].join(', ')}`)
    for (const user of users.keys()) t.ok(aclUsers.includes(user), `${kind}: ${user} has a block in the ACL`)
    for (const r of runs.filter((r) => r.inv.where.startsWith('compose') === (kind === 'compose'))) {
      const url = new URL(r.get('--broker') ?? 'mqtt://missing')
      t.equal(url.username, ROLE_USER[r.role], `${r.inv.where}: role ${r.role} connects as ${ROLE_USER[r.role]}`)
      t.ok(users.has(url.username), `${r.inv.where}: ${url.username} is in Mosquitto's password file`)
      t.same(r.sourcesOf('--broker'), users.get(url.username), `${r.inv.where}: its password comes from where Mosquitto's does`)
    }
  }
})

t.test('engines and gateways reach PostgreSQL as the user, database and password it was created with', async (t) => {
  const pg = compose.services.postgres!
  for (const r of serves.filter((r) => r.inv.where.startsWith('compose'))) {
    const url = new URL(r.get('--store')!)
    t.equal(url.hostname, 'postgres', `${r.inv.where}: the postgres service`)
    t.equal(url.username, pg.environment?.POSTGRES_USER)
    t.equal(url.pathname, `/${pg.environment?.POSTGRES_DB}`)
    t.same(r.sourcesOf('--store'), resolveCompose(pg.environment?.POSTGRES_PASSWORD ?? '').sources, `${r.inv.where}: the same password`)
  }
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres')!
  const env = new Map((podTemplate(sts)!.spec.containers[0]!.env ?? []).map((e) => [e.name, e]))
  const url = new URL(secretObject.stringData['store-url']!)
  t.equal(url.username, env.get('POSTGRES_USER')?.value, 'Kubernetes: store-url names the user the StatefulSet creates')
  t.equal(url.pathname, `/${env.get('POSTGRES_DB')?.value}`, 'and its database')
  t.equal(env.get('POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef?.key, 'postgres-password')
  t.equal(decodeURIComponent(url.password), secretObject.stringData['postgres-password'], 'with the password the example gives it')
  for (const r of serves.filter((r) => !r.inv.where.startsWith('compose')))
    t.same(r.sourcesOf('--store'), ['secret:store-url'], `${r.inv.where}: reads store-url`)
})

/** nginx's upstreams (name → host:port) and servers (listen → upstream, and whether it passes WebSocket upgrades). */
function nginx(): { upstreams: Map<string, string[]>; servers: Array<{ listen: number; upstream: string; upgrades: boolean }> } {
  const conf = readFileSync(join(DEPLOY, 'nginx', 'gateways.conf'), 'utf8').replace(/#.*$/gm, '')
  const upstreams = new Map(
    [...conf.matchAll(/upstream (\S+) \{([^}]*)\}/g)].map(([, name, body]) => [
      name!,
      [...body!.matchAll(/server (\S+?:\d+)/g)].map((m) => m[1]!),
    ]),
  )
  const servers = conf
    .split(/^server \{/m)
    .slice(1)
    .map((body) => ({
      listen: Number(body.match(/listen (\d+);/)?.[1]),
      upstream: body.match(/proxy_pass http:\/\/([\w-]+);/)?.[1] ?? '',
      upgrades: /proxy_set_header Upgrade \$http_upgrade;/.test(body),
    }))
  return { upstreams, servers }
}

t.test('compose: health checks, the load balancer, published ports and public URLs agree', async (t) => {
  for (const r of runs.filter((r) => r.inv.where.startsWith('compose') && r.command === 'serve')) {
    const name = r.inv.where.replace('compose service ', '')
    const check = (compose.services[name]?.healthcheck?.test ?? []).join(' ')
    t.match(check, `http://127.0.0.1:${r.get('--http-port')}/`, `${name}: its health check asks its --http-port`)
  }
  const { upstreams, servers } = nginx()
  const gateways = runs.filter((r) => r.inv.where.startsWith('compose') && r.role === 'gateway')
  t.equal(servers.length, 2, 'nginx listens for REST and for WebSockets')
  for (const s of servers) {
    const members = upstreams.get(s.upstream) ?? []
    const flag = s.upgrades ? '--ws-port' : '--http-port'
    t.same(
      members.sort(),
      gateways.map((g) => `${g.inv.where.replace('compose service ', '')}:${g.get(flag)}`).sort(),
      `nginx ${s.listen} spreads over every gateway's ${flag}`,
    )
  }
  const lb = compose.services.lb!
  const published = new Map(
    (lb.ports ?? []).map((p) => {
      const parts = p.split(':')
      return [Number(parts.at(-2)), Number(parts.at(-1))] as const // host port → container port
    }),
  )
  t.same([...published.values()].sort(), servers.map((s) => s.listen).sort(), 'the load balancer publishes each port nginx listens on')
  const listenFor = (upgrades: boolean): number | undefined => servers.find((s) => s.upgrades === upgrades)?.listen
  for (const g of gateways) {
    for (const [flag, upgrades] of [
      ['--public-url', false],
      ['--public-ws-url', true],
    ] as const) {
      const u = new URL(g.get(flag)!)
      t.equal(published.get(Number(u.port)), listenFor(upgrades), `${g.inv.where}: ${flag} ${u} is the load balancer's published port`)
    }
  }
  for (const sim of runs.filter((r) => r.inv.where.startsWith('compose') && r.role === 'sim')) {
    const u = new URL(sim.get('--gateway')!)
    t.equal(u.hostname, 'lb', `${sim.inv.where}: orders through the load balancer`)
    t.equal(Number(u.port), listenFor(false), 'on its REST port')
  }
  const listener = Number(readFileSync(join(DEPLOY, 'mosquitto', 'mosquitto.conf'), 'utf8').match(/^listener (\d+)/m)?.[1])
  for (const r of runs.filter((r) => r.inv.where.startsWith('compose'))) {
    const u = new URL(r.get('--broker')!)
    t.ok(compose.services[u.hostname], `${r.inv.where}: broker host ${u.hostname} is a service`)
    t.equal(Number(u.port || 1883), listener, `${r.inv.where}: on the port mosquitto.conf listens on`)
  }
})

function containerOf(r: Read): Container | undefined {
  const m = r.inv.where.match(/^(\w+) (\S+), container (\S+)$/)
  const o = objects.find((o) => o.kind === m?.[1] && o.metadata.name === m?.[2])
  return o ? podTemplate(o)?.spec.containers.find((c) => c.name === m?.[3]) : undefined
}

t.test('Kubernetes: container ports, probes, Services and URLs agree', async (t) => {
  const services = objects.filter((o) => o.kind === 'Service') as Array<
    K8sObject & { spec: { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string | number }> } }
  >
  const servicePort = (url: URL, fallback: number): boolean =>
    services.some((s) => s.metadata.name === url.hostname && s.spec.ports.some((p) => p.port === Number(url.port || fallback)))
  for (const r of runs.filter((r) => !r.inv.where.startsWith('compose'))) {
    const c = containerOf(r)!
    const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]))
    if (r.command === 'serve') {
      t.equal(ports.get('http'), Number(r.get('--http-port')), `${r.inv.where}: port http is --http-port`)
      if (r.role === 'gateway' || r.role === 'all')
        t.equal(ports.get('ws'), Number(r.get('--ws-port')), `${r.inv.where}: port ws is --ws-port`)
      else t.notOk(ports.has('ws'), `${r.inv.where}: an engine opens no WebSocket port`)
      t.equal(c.livenessProbe?.httpGet?.path, '/healthz', `${r.inv.where}: liveness asks /healthz`)
      t.equal(c.readinessProbe?.httpGet?.path, '/readyz', `${r.inv.where}: readiness asks /readyz`)
      t.equal(c.startupProbe?.httpGet?.path, '/healthz', `${r.inv.where}: start-up waits for /healthz`)
      for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe])
        t.equal(p?.httpGet?.port, 'http', `${r.inv.where}: probes ask the http port`)
    }
    t.ok(servicePort(new URL(r.get('--broker')!), 1883), `${r.inv.where}: the broker is a Service port`)
    if (r.role === 'sim') t.ok(servicePort(new URL(r.get('--gateway')!), 80), `${r.inv.where}: the gateway is a Service port`)
  }
  t.ok(servicePort(new URL(secretObject.stringData['store-url']!), 5432), "store-url's host and port are the postgres Service")
  // Every Service reaches the named ports of exactly one workload's pods.
  const workloads = objects.filter((o) => podTemplate(o) && o.kind !== 'Job')
  for (const s of services) {
    const matched = workloads.filter((w) => Object.entries(s.spec.selector).every(([k, v]) => podTemplate(w)!.labels[k] === v))
    t.equal(matched.length, 1, `Service ${s.metadata.name} selects one workload (${matched.map((w) => w.metadata.name)})`)
    const containerPorts = podTemplate(matched[0]!)?.spec.containers.flatMap((c) => c.ports ?? []) ?? []
    for (const p of s.spec.ports)
      t.ok(
        containerPorts.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort),
        `Service ${s.metadata.name} port ${p.name} → ${p.targetPort}, a port of its pods`,
      )
  }
  // Probes elsewhere (Mosquitto, PostgreSQL) name ports their containers have.
  for (const w of workloads)
    for (const c of [...podTemplate(w)!.spec.containers, ...(podTemplate(w)!.spec.initContainers ?? [])])
      for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
        const port = p?.httpGet?.port ?? p?.tcpSocket?.port
        if (port !== undefined)
          t.ok(
            (c.ports ?? []).some((cp) => cp.name === port || cp.containerPort === port),
            `${w.metadata.name}/${c.name}: probe port ${port}`,
          )
      }
})

t.test('selectors select the pods they are written for', async (t) => {
  const workloads = objects.filter((o) => podTemplate(o))
  for (const w of workloads) {
    const selector = (w.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels
    if (w.kind === 'Job') continue // a Job makes its own selector
    t.ok(
      selector && Object.entries(selector).every(([k, v]) => podTemplate(w)!.labels[k] === v),
      `${w.kind} ${w.metadata.name}: its selector matches its pod template`,
    )
    if (w.kind === 'StatefulSet') {
      const serviceName = (w.spec as { serviceName: string }).serviceName
      t.ok(
        objects.some((o) => o.kind === 'Service' && o.metadata.name === serviceName),
        `StatefulSet ${w.metadata.name}: its Service ${serviceName} exists`,
      )
    }
  }
  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const sel = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels
    const matched = workloads.filter((w) => w.kind !== 'Job' && Object.entries(sel).every(([k, v]) => podTemplate(w)!.labels[k] === v))
    t.same(
      matched.map((w) => w.metadata.name),
      [pdb.metadata.name],
      `PodDisruptionBudget ${pdb.metadata.name} covers the ${pdb.metadata.name} pods only`,
    )
  }
})

t.test('every Secret and ConfigMap key a pod reads exists, and every secret is documented', async (t) => {
  const used = new Set<string>()
  for (const w of objects.filter((o) => podTemplate(o))) {
    const spec = podTemplate(w)!.spec
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef
        const m = e.valueFrom?.configMapKeyRef
        if (s) {
          used.add(s.key)
          t.equal(s.name, names.secret, `${w.metadata.name}/${c.name} ${e.name}: the Secret ${names.secret}`)
          t.ok(s.key in secretObject.stringData, `${w.metadata.name}/${c.name} ${e.name}: key ${s.key} exists`)
        }
        if (m) t.ok(m.name === names.config && m.key in configObject.data, `${w.metadata.name}/${c.name} ${e.name}: config key ${m.key}`)
      }
      for (const mount of c.volumeMounts ?? []) {
        const v = spec.volumes?.find((v) => v.name === mount.name)
        const claims = (w.spec as { volumeClaimTemplates?: Array<{ metadata: { name: string } }> }).volumeClaimTemplates ?? []
        t.ok(v || claims.some((c) => c.metadata.name === mount.name), `${w.metadata.name}/${c.name}: volume ${mount.name} exists`)
        if (v?.configMap && mount.subPath)
          t.ok(mount.subPath in configObject.data, `${w.metadata.name}/${c.name}: config key ${mount.subPath}`)
      }
    }
    for (const v of spec.volumes ?? [])
      for (const item of v.configMap?.items ?? []) t.ok(item.key in configObject.data, `${w.metadata.name}: config key ${item.key}`)
  }
  t.same(Object.keys(secretObject.stringData).sort(), [...used].sort(), "every key of the Secret's example is read by a pod")
  const docs = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8')
  t.same(
    [...new Set([...docs.matchAll(/--from-literal=([a-z-]+)=/g)].map((m) => m[1]))].sort(),
    Object.keys(secretObject.stringData).sort(),
    "docs/deploy.md's kubectl create secret makes exactly these keys",
  )
  // compose: every variable it reads is in example.env, and the other way round.
  const composeText = readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')
  const vars = [...new Set([...composeText.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))].sort()
  t.same(vars, [...exampleEnv.keys()].sort(), 'compose.yaml reads exactly the variables of example.env')
  for (const v of vars) t.match(docs, v, `docs/deploy.md names ${v}`)
  // The API key reaches every gateway and the simulator, from the one place.
  for (const r of runs.filter((r) => r.role === 'gateway' || r.role === 'sim')) {
    const sources = r.inv.env.get('DRONEFLEET_API_KEY')
    t.ok(sources?.[0] === 'env:DRONEFLEET_API_KEY' || sources?.[0] === 'secret:api-key', `${r.inv.where}: DRONEFLEET_API_KEY is set`)
  }
})

t.test('the scenario the deployments run is a valid scenario with regions', async (t) => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'scenario.schema.json'), 'utf8')) as { properties: object }
  const todo = 'regions: is not in the scenario format of this build yet'
  const regionsLanded = 'regions' in schema.properties
  try {
    const s = (await loadScenario(join(DEPLOY, 'scenario.yaml'))) as { regions?: unknown[] }
    t.ok(s.regions && s.regions.length >= 2, 'two regions or more, for engines to share', regionsLanded ? {} : { todo })
  } catch (err) {
    t.fail(`deploy/scenario.yaml: ${(err as Error).message}`, regionsLanded ? {} : { todo })
  }
})

/** Every path a health check or probe asks, by role. */
function probePaths(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  const add = (role: string, path: string): void => void out.set(role, (out.get(role) ?? new Set()).add(path))
  for (const r of serves) {
    if (r.inv.where.startsWith('compose')) {
      const test = (compose.services[r.inv.where.replace('compose service ', '')]?.healthcheck?.test ?? []).join(' ')
      for (const m of test.matchAll(/http:\/\/127\.0\.0\.1:\d+(\/[\w/-]*)/g)) add(r.role, m[1]!)
    } else {
      const c = containerOf(r)!
      for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (p?.httpGet) add(r.role, p.httpGet.path)
    }
  }
  return out
}

t.test('every probe path answers on a running service', async (t) => {
  const paths = probePaths()
  t.ok(
    paths.get('engine')?.size && paths.get('gateway')?.size,
    `engine: ${[...(paths.get('engine') ?? [])]}; gateway: ${[...(paths.get('gateway') ?? [])]}`,
  )
  const answer = async (t: Test, base: string, role: string): Promise<void> => {
    for (const path of paths.get(role) ?? []) {
      const status = await until(
        async () => {
          const res = await fetch(`${base}${path}`).catch(() => undefined)
          return res && (res.status === 200 || res.status === 404) ? res.status : undefined
        },
        10_000,
        `${path} on the ${role}`,
      )
      t.equal(status, 200, `${role}: ${path} answers 200`)
    }
  }

  if (!rolesLanded) {
    // The gateway's routes are those of `serve` as it is today, which runs the gateway in process.
    const serve = spawnCli(
      [
        'serve',
        '--data',
        join(tmpdir(), `dronefleet-probes-${process.pid}`),
        '--http-port',
        '0',
        '--ws-port',
        '0',
        '--mqtt-port',
        '0',
        '--api-key',
        'k',
      ],
      { DRONEFLEET_LOG: 'warn' },
    )
    t.teardown(() => void serve.child.kill('SIGKILL'))
    const base = (await serve.waitFor(/http\s+(http:\/\/\S+)/))[1]!
    await answer(t, base, 'gateway')
    t.fail('the engine role answers its probes', { todo: ROLES_TODO })
    return
  }

  // Each role as the Deployment runs it: its own arguments, with the broker and the store made here.
  if (!requireMosquittoBinary(t) || !(await requirePostgres(t))) return
  const users = k8sBrokerUsers()
  const passwords = Object.fromEntries(
    [...users].map(([user, [source]]) => [user, secretObject.stringData[source!.replace('secret:', '')]!]),
  )
  const broker = await startDeployMosquitto(t, passwords)
  const store = await tempDatabase(t)
  for (const role of ['engine', 'gateway']) {
    const r = serves.find((r) => r.role === role && !r.inv.where.startsWith('compose'))!
    const http = await freePort()
    const ws = await freePort()
    const args = r.inv.args.map((a, i) => {
      const flag = r.inv.args[i - 1]
      if (flag === '--store') return store
      if (flag === '--broker') {
        const u = new URL(a)
        u.hostname = '127.0.0.1'
        u.port = String(broker.port)
        return u.toString()
      }
      if (flag === '--host') return '127.0.0.1'
      if (flag === '--http-port') return String(http)
      if (flag === '--ws-port') return String(ws)
      if (flag === '--scenario') return join(DEPLOY, 'scenario.yaml')
      return a
    })
    // The broker and the store, which the Deployment gives in the environment, made here the same way.
    const brokerUrl = new URL(r.get('--broker')!)
    brokerUrl.hostname = '127.0.0.1'
    brokerUrl.port = String(broker.port)
    const child = spawnCli(args, {
      DRONEFLEET_LOG: 'warn',
      DRONEFLEET_API_KEY: 'k',
      DRONEFLEET_BROKER: brokerUrl.toString(),
      DRONEFLEET_STORE: store,
    })
    t.teardown(() => void child.child.kill('SIGKILL'))
    await answer(t, `http://127.0.0.1:${http}`, role)
  }
})
