import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ComposeFile, type Container, DEPLOY, type K8sObject, podTemplate } from './deployFiles.js'

/**
 * Where a value in a deployment file comes from, so wiring can be compared
 * by source rather than by sample value: `env:NAME` is a compose variable
 * (deploy/.env), `secret:key` and `config:key` are keys of the Secret and the
 * ConfigMap, `literal` a value written in place.
 */
export type Resolve = (text: string) => { value: string; sources: string[]; unresolved: string[] }

/** Reads KEY=value lines (deploy/example.env). */
export function readEnvFile(file: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z][A-Z0-9_]*)=(.*)$/)
    if (m) out.set(m[1]!, m[2]!)
  }
  return out
}

/** Compose's interpolation: ${VAR}, ${VAR:?message}, ${VAR:-default}; $$ is a literal $. */
export function composeResolver(vars: Map<string, string>): Resolve {
  return (text) => {
    const sources: string[] = []
    const unresolved: string[] = []
    const value = text.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?-])([^}]*))?\}/g,
      (whole, name?: string, op?: string, rest?: string) => {
        if (whole === '$$') return '$'
        sources.push(`env:${name}`)
        const v = vars.get(name!)
        if (v !== undefined && v !== '') return v
        if (op?.endsWith('-')) return rest ?? ''
        unresolved.push(name!)
        return ''
      },
    )
    return { value, sources, unresolved }
  }
}

/**
 * Kubernetes' expansion of $(VAR) in command and args, from the container's
 * env; an env value may itself name variables defined before it (as
 * Kubernetes expands them), and then has their sources.
 */
export function k8sResolver(
  container: Container,
  secret: Record<string, string>,
  config: Record<string, string>,
  names: { secret: string; config: string },
): Resolve {
  const env = new Map<string, { value: string; sources: string[] } | undefined>()
  const expand: Resolve = (text) => {
    const sources: string[] = []
    const unresolved: string[] = []
    const value = text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_whole, name: string) => {
      const v = env.get(name)
      if (!v) {
        unresolved.push(name) // Kubernetes would pass "$(NAME)" on as it is
        return ''
      }
      sources.push(...v.sources)
      return v.value
    })
    return { value, sources, unresolved }
  }
  for (const e of container.env ?? []) {
    const s = e.valueFrom?.secretKeyRef
    const c = e.valueFrom?.configMapKeyRef
    if (s) env.set(e.name, s.name === names.secret && s.key in secret ? { value: secret[s.key]!, sources: [`secret:${s.key}`] } : undefined)
    else if (c)
      env.set(e.name, c.name === names.config && c.key in config ? { value: config[c.key]!, sources: [`config:${c.key}`] } : undefined)
    else if (e.value === undefined) env.set(e.name, undefined)
    else {
      const x = expand(e.value)
      env.set(e.name, x.unresolved.length ? undefined : { value: x.value, sources: x.sources.length ? x.sources : ['literal'] })
    }
  }
  return expand
}

/** One `dronefleet` process the deployment files start, with what it needs to be checked. */
export interface Invocation {
  where: string
  args: string[]
  /** Each argument's sources, index for index. */
  argSources: string[][]
  unresolved: string[]
  /** Environment variables the process gets, with their sources. */
  env: Map<string, string[]>
  /** Their values (as resolved from example.env or the example Secret); unresolved ones are missing. */
  envValues: Map<string, string>
  /** Whether a file is at this path in the container. */
  hasFile(path: string): boolean
}

export function composeInvocations(compose: ComposeFile, resolve: Resolve): Invocation[] {
  return Object.entries(compose.services)
    .filter(([, s]) => s.image?.startsWith('dronefleet'))
    .map(([name, s]) => {
      const parts = (s.command ?? []).map(resolve)
      const mounts = new Map(
        (s.volumes ?? []).flatMap((v) => {
          const [from, to] = v.split(':')
          return from?.startsWith('./') && to ? [[to, join(DEPLOY, from)] as const] : []
        }),
      )
      return {
        where: `compose service ${name}`,
        args: parts.map((p) => p.value),
        argSources: parts.map((p) => p.sources),
        unresolved: parts.flatMap((p) => p.unresolved),
        env: new Map(Object.entries(s.environment ?? {}).map(([k, v]) => [k, resolve(v).sources])),
        envValues: new Map(
          Object.entries(s.environment ?? {}).flatMap(([k, v]) => {
            const r = resolve(v)
            return r.unresolved.length ? [] : [[k, r.value] as const]
          }),
        ),
        hasFile: (path) => existsSync(mounts.get(path) ?? '\0'),
      }
    })
}

export function k8sInvocations(
  objects: readonly K8sObject[],
  secret: Record<string, string>,
  config: Record<string, string>,
  names: { secret: string; config: string },
): Invocation[] {
  return objects.flatMap((o) => {
    const pod = podTemplate(o)
    if (!pod) return []
    return pod.spec.containers
      .filter((c) => c.image.startsWith('dronefleet'))
      .map((c) => {
        const resolve = k8sResolver(c, secret, config, names)
        const parts = [...(c.command ?? []), ...(c.args ?? [])].map(resolve)
        return {
          where: `${o.kind} ${o.metadata.name}, container ${c.name}`,
          args: parts.map((p) => p.value),
          argSources: parts.map((p) => p.sources),
          unresolved: parts.flatMap((p) => p.unresolved),
          env: new Map((c.env ?? []).map((e) => [e.name, resolve(`$(${e.name})`).sources])),
          envValues: new Map(
            (c.env ?? []).flatMap((e) => {
              const r = resolve(`$(${e.name})`)
              return r.unresolved.length ? [] : [[e.name, r.value] as const]
            }),
          ),
          hasFile(path) {
            return (c.volumeMounts ?? []).some((m) => {
              const volume = pod.spec.volumes?.find((v) => v.name === m.name)?.configMap
              if (!volume || volume.name !== names.config) return false
              if (m.subPath) return m.mountPath === path && m.subPath in config
              const items = volume.items ?? Object.keys(config).map((key) => ({ key, path: key }))
              return items.some((i) => `${m.mountPath}/${i.path}` === path && i.key in config)
            })
          },
        }
      })
  })
}
