import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { ROOT } from './cli.js'

/** The repository's deploy/ folder. */
export const DEPLOY = join(ROOT, 'deploy')

/**
 * Every document of a YAML file, as plain data, with merge keys (`<<: *anchor`)
 * applied as docker compose applies them. A syntax error, a duplicate key or
 * any other warning throws, naming the file.
 */
export function readYaml(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true, uniqueKeys: true, prettyErrors: true })
  const list = Array.isArray(docs) ? docs : [docs]
  const problems = list.flatMap((d) => [...d.errors, ...d.warnings])
  if (problems.length > 0) throw new Error(`${relative(ROOT, file)}: ${problems.map((p) => p.message).join('\n')}`)
  return list.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown).filter((d) => d !== null)
}

/** Every .yaml/.yml file below a folder. */
export function yamlFiles(dir: string = DEPLOY): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) out.push(...yamlFiles(path))
    else if (/\.ya?ml$/.test(e.name)) out.push(path)
  }
  return out.sort()
}

export interface ComposeService {
  image?: string
  command?: string[]
  entrypoint?: string[]
  environment?: Record<string, string>
  healthcheck?: { test?: string[]; disable?: boolean }
  ports?: string[]
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
  [extension: string]: unknown
}

export const COMPOSE_FILE = join(DEPLOY, 'compose.yaml')

export function composeFile(): ComposeFile {
  return readYaml(COMPOSE_FILE)[0] as ComposeFile
}

/** A Kubernetes object as the manifests hold it; only the fields the checks read are typed. */
export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  [field: string]: unknown
}

export const K8S_DIR = join(DEPLOY, 'k8s')

/** Every object of deploy/k8s (the kustomization file is kustomize's, not the cluster's), with its file. */
export function k8sObjects(): Array<{ file: string; object: K8sObject }> {
  return yamlFiles(K8S_DIR)
    .filter((f) => !f.endsWith('kustomization.yaml'))
    .flatMap((file) => readYaml(file).map((object) => ({ file: relative(ROOT, file), object: object as K8sObject })))
}

export interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  env?: Array<{
    name: string
    value?: string
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } }
  }>
  ports?: Array<{ name?: string; containerPort: number }>
  startupProbe?: Probe
  livenessProbe?: Probe
  readinessProbe?: Probe
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>
}

export interface Probe {
  httpGet?: { path: string; port: string | number }
  tcpSocket?: { port: string | number }
  exec?: { command: string[] }
}

export interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  volumes?: Array<{ name: string; configMap?: { name: string; items?: Array<{ key: string; path: string }> } }>
}

/** The pod template of a workload (Deployment, StatefulSet, Job), or undefined for other kinds. */
export function podTemplate(o: K8sObject): { labels: Record<string, string>; spec: PodSpec } | undefined {
  const template = (o.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } } | undefined)?.template
  return template ? { labels: template.metadata?.labels ?? {}, spec: template.spec } : undefined
}
