/**
 * The structural check of a scenario document: ajv against the one schema,
 * with each error translated into a message that names the field and value
 * (and, for a mistyped key, the key it probably meant).
 */
import { Ajv, type ErrorObject } from 'ajv'
import { showValue } from '../../protocol/errors.js'
import { ID_PATTERN, REGION_ID_PATTERN } from './scenarioPatterns.js'
import { scenarioSchema } from './scenarioSchema.js'
import { schemaAt, type Path } from './schemaAt.js'
import { X_PARSER } from './schemaNodes.js'

const ajv = new Ajv({ allErrors: true, strict: true, keywords: [X_PARSER] })
const check = ajv.compile(scenarioSchema)

/** A structural problem; `at` says which YAML node to point at. */
export interface SchemaIssue {
  path: Path
  at: 'value' | 'key' | 'parent'
  value: unknown
  message: string
}

/** Validates the document's structure; problems inside `x-parser` nodes are left to the loader. */
export function checkStructure(doc: unknown): SchemaIssue[] {
  if (check(doc)) return []
  const issues: SchemaIssue[] = []
  const seen = new Set<string>()
  for (const e of check.errors ?? []) {
    const path = toPath(e.instancePath, doc)
    if (insideParsedNode(path)) continue
    const issue = translate(e, path, valueAt(doc, path))
    const id = `${issue.path.join('.')}\0${issue.message}`
    if (!seen.has(id)) issues.push(issue)
    seen.add(id)
  }
  return issues
}

function translate(e: ErrorObject, path: Path, value: unknown): SchemaIssue {
  const p = e.params as Record<string, unknown>
  const integer = schemaAt(path)?.type === 'integer'
  const kind = integer ? 'an integer' : 'a number'
  switch (e.keyword) {
    case 'required':
      return {
        path: [...path, String(p.missingProperty)],
        at: 'parent',
        value: undefined,
        message: `missing required key "${String(p.missingProperty)}"`,
      }
    case 'additionalProperties': {
      const key = String(p.additionalProperty)
      const known = Object.keys(schemaAt(path)?.properties ?? {})
      const close = closest(key, known)
      const hint = close ? `did you mean "${close}"?` : `known keys: ${known.join(', ')}`
      return { path: [...path, key], at: 'key', value: key, message: `unknown key "${key}"; ${hint}` }
    }
    case 'type':
      if (path.length === 0)
        return {
          path,
          at: 'value',
          value,
          message: `a scenario must be a map of keys (name, seed, duration, depots, demand…), got ${showValue(value)}`,
        }
      return { path, at: 'value', value, message: `must be ${TYPE_NOUNS[String(p.type)] ?? String(p.type)}, got ${showValue(value)}` }
    case 'minimum':
      return { path, at: 'value', value, message: `must be ${kind} ≥ ${String(p.limit)}, got ${showValue(value)}` }
    case 'exclusiveMinimum':
      return { path, at: 'value', value, message: `must be ${kind} > ${String(p.limit)}, got ${showValue(value)}` }
    case 'maximum':
      return { path, at: 'value', value, message: `must be ${kind} ≤ ${String(p.limit)}, got ${showValue(value)}` }
    case 'minItems':
      return { path, at: 'value', value, message: `must list at least ${String(p.limit)}, got ${Array.isArray(value) ? value.length : 0}` }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String)
      const close = typeof value === 'string' ? closest(value, allowed) : undefined
      return {
        path,
        at: 'value',
        value,
        message: `must be one of ${allowed.join(', ')}, got ${showValue(value)}${close ? `; did you mean "${close}"?` : ''}`,
      }
    }
    case 'minLength':
      return { path, at: 'value', value, message: 'must not be empty' }
    case 'pattern':
      if (p.pattern === ID_PATTERN)
        return { path, at: 'value', value, message: `must be 1-64 letters, digits, ".", "_" or "-", got ${showValue(value)}` }
      if (p.pattern === REGION_ID_PATTERN)
        return {
          path,
          at: 'value',
          value,
          message: `must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit, got ${showValue(value)}`,
        }
      return { path, at: 'value', value, message: `must match ${String(p.pattern)}, got ${showValue(value)}` }
    default:
      return { path, at: 'value', value, message: `${e.message ?? 'is invalid'}, got ${showValue(value)}` }
  }
}

const TYPE_NOUNS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'a map of keys',
  array: 'a list',
  boolean: 'true or false',
}

function insideParsedNode(path: Path): boolean {
  for (let i = 0; i <= path.length; i++) if (schemaAt(path.slice(0, i))?.[X_PARSER] !== undefined) return true
  return false
}

/** JSON pointer → path, with list indices as numbers (so they print as `depots[1]`). */
function toPath(pointer: string, doc: unknown): Path {
  const path: Path = []
  let here = doc
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const key = Array.isArray(here) && /^\d+$/.test(seg) ? Number(seg) : seg
    path.push(key)
    here = here !== null && typeof here === 'object' ? (here as Record<string | number, unknown>)[key] : undefined
  }
  return path
}

export function valueAt(doc: unknown, path: Path): unknown {
  let here = doc
  for (const seg of path) here = here !== null && typeof here === 'object' ? (here as Record<string | number, unknown>)[seg] : undefined
  return here
}

/** The known key nearest to a misspelt one, if it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Math.max(1, Math.floor(key.length / 4)) + 1
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase())
    if (d < bestD) [best, bestD] = [k, d]
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}
