import type { K8sObject } from './deployFiles.js'

interface Model {
  validate(): void
}
type ModelClass = new (data: unknown) => Model

interface SchemaError {
  instancePath: string
  message?: string
}

/**
 * The model class of kubernetes-models (the Kubernetes OpenAPI schemas,
 * compiled to validators) for an object's apiVersion and kind.
 */
async function modelOf(o: K8sObject): Promise<ModelClass> {
  const mod = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`)) as Record<string, ModelClass>
  const Model = mod[o.kind]
  if (!Model) throw new Error(`kubernetes-models has no ${o.apiVersion} ${o.kind}`)
  return Model
}

function errorsOf(Model: ModelClass, data: unknown): SchemaError[] {
  try {
    new Model(data).validate()
    return []
  } catch (err) {
    const errors = (err as { errors?: SchemaError[] }).errors
    if (!errors) throw err
    return errors
  }
}

/** Every key path of an object's nested plain objects (arrays are walked into). */
function keyPaths(value: unknown, at: string[] = []): string[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, [...at, String(i)]))
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) => [[...at, k], ...keyPaths(v, [...at, k])])
}

/** A path as a JSON pointer, as the validators name it (a label key like app.kubernetes.io/name has its "/" escaped). */
const pointer = (path: string[]): string => path.map((p) => `/${p.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')

function setAt(root: unknown, path: string[], value: unknown): void {
  let node = root as Record<string, unknown>
  for (const p of path.slice(0, -1)) node = node[p] as Record<string, unknown>
  node[path.at(-1)!] = value
}

/**
 * Checks an object against the schema of its kind: `errors` are what the
 * schema rejects (a wrong type, a missing required field, a value outside an
 * enum). The compiled validators pass over fields they do not know, which a
 * cluster (kubectl's strict field validation) rejects; `unknownFields` finds
 * those: a field is known when a value no schema accepts (a Symbol) put in
 * its place makes the validator complain about that very field.
 */
export async function checkK8sObject(o: K8sObject): Promise<{ errors: string[]; unknownFields: string[] }> {
  const Model = await modelOf(o)
  const errors = errorsOf(Model, o).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim())
  const unknownFields: string[] = []
  for (const path of keyPaths(o)) {
    const poisoned = structuredClone(o)
    setAt(poisoned, path, Symbol('not a schema value'))
    if (!errorsOf(Model, poisoned).some((e) => e.instancePath === pointer(path))) unknownFields.push(pointer(path))
  }
  // A field under an unknown one is unknown too; name only the outermost.
  return { errors, unknownFields: unknownFields.filter((p) => !unknownFields.some((q) => p.startsWith(`${q}/`))) }
}
