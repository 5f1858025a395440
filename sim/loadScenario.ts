/**
 * Scenario YAML → frozen `Scenario` in SI units. Every problem in the file is
 * collected (syntax, structure, units, meaning) and thrown at once as a
 * ScenarioError, each issue naming line, column, field and value, so a user
 * fixes a file in one pass instead of one error per run.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml'
import { DronefleetError, ErrorCodes, showValue, type ErrorCode } from '../protocol/errors.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE, type DroneProfile } from '../protocol/profile.js'
import { describeDimension, parseQuantity, UnitError, type Dimension } from '../protocol/units.js'
import type { Depot, Expectation, Scenario } from './Scenario.js'
import {
  checkStructure, closest, DEFAULT_DEADLINE_S, DEFAULT_START, DEFAULT_TICK_S, DEFAULT_WEIGHT_KG, DRONE_KEYS,
  ISO_TIME_PATTERN, MAX_DEPOT_DISTANCE_M, schemaAt, THRESHOLD_PATTERN, valueAt, X_PARSER, type Path, type SchemaNode,
} from './scenarioSchema.js'

export interface ScenarioIssue {
  /** 1-based line of the offending node (for a missing key, of the map that lacks it). */
  line: number
  column: number
  /** Dotted and indexed path, e.g. `depots[1].drones`; `(yaml)` for syntax errors. */
  field: string
  value: unknown
  message: string
}

export class ScenarioError extends DronefleetError {
  readonly file: string
  readonly issues: readonly ScenarioIssue[]
  constructor(code: ErrorCode, file: string, issues: readonly ScenarioIssue[], message?: string) {
    const lines = issues.map((i) => `\n  ${file}:${i.line}:${i.column}  ${i.field}  ${i.message}`).join('')
    super(code, message ?? `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}${lines}`, issues[0]?.field, issues[0]?.value)
    this.name = 'ScenarioError'
    this.file = file
    this.issues = issues
  }
}

export async function loadScenario(file: string): Promise<Scenario> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    throw new ScenarioError(ErrorCodes.SCENARIO_UNREADABLE, file, [], `cannot read scenario ${file}: ${(err as Error).message}`)
  }
  return parseScenario(bytes, file)
}

/** The pure variant: `file` only labels messages; the hash is of the given bytes. */
export function parseScenario(text: string | Uint8Array, file = '<scenario>'): Scenario {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  const source = typeof text === 'string' ? text : Buffer.from(text).toString('utf8')
  const lineCounter = new LineCounter()
  const doc = parseDocument(source, { lineCounter, prettyErrors: false })
  const issues = new Issues(doc, lineCounter, source)
  // After a syntax error the tree is a guess; checking it would report phantoms.
  if (doc.errors.length > 0) {
    for (const e of doc.errors) issues.syntax(e)
    throw issues.error(file)
  }
  const raw: unknown = doc.toJS()
  for (const s of checkStructure(raw)) issues.add(s.path, s.value, s.message, s.at)
  const data = convert(raw, [], issues)
  checkMeaning(data, raw, issues)
  if (issues.list.length > 0) throw issues.error(file)
  return deepFreeze(build(data, createHash('sha256').update(bytes).digest('hex'), issues))
}

class Issues {
  readonly list: ScenarioIssue[] = []
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly source: string,
  ) {}

  add(path: Path, value: unknown, message: string, at: 'value' | 'key' | 'parent' = 'value'): void {
    this.list.push({ ...this.locate(path, at), field: fieldName(path), value, message })
  }

  syntax(e: YAMLError): void {
    const { line, col } = this.lines.linePos(e.pos[0])
    const text = this.source.split(/\r?\n/)[line - 1]?.trim() ?? ''
    this.list.push({ line, column: col, field: '(yaml)', value: text, message: e.message.split('\n')[0] ?? e.message })
  }

  error(file: string): ScenarioError {
    const sorted = [...this.list].sort((a, b) => a.line - b.line || a.column - b.column)
    return new ScenarioError(ErrorCodes.SCENARIO_INVALID, file, sorted)
  }

  /** Line and column of the node for `path`, or of its nearest existing ancestor. */
  locate(path: Path, at: 'value' | 'key' | 'parent'): { line: number; column: number } {
    if (at === 'parent') return this.keyPos(path.slice(0, -1)) ?? this.nodePos(path.slice(0, -1))
    if (at === 'key') return this.keyPos(path) ?? this.nodePos(path.slice(0, -1))
    return this.nodePos(path)
  }

  private nodePos(path: Path): { line: number; column: number } {
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? this.doc.contents : this.doc.getIn(p, true)
      if (isNode(node) && node.range) return this.pos(node.range[0])
      if (p.length === 0) return { line: 1, column: 1 }
    }
  }

  /** Where the key of a map entry is written: a missing key is reported on its parent's key line. */
  private keyPos(path: Path): { line: number; column: number } | undefined {
    const last = path.at(-1)
    if (typeof last !== 'string') return undefined
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true)
    if (!isMap(parent)) return undefined
    const pair = parent.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === last)
    return isNode(pair?.key) && pair.key.range ? this.pos(pair.key.range[0]) : undefined
  }

  private pos(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset)
    return { line, column: col }
  }
}

function fieldName(path: Path): string {
  if (path.length === 0) return '(document)'
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('')
}

/** A value that is not what its field takes; becomes an issue at that field. */
class Invalid extends Error {}

/** Replaces every `x-parser` node with its parsed value; a node that fails becomes undefined. */
function convert(value: unknown, path: Path, issues: Issues): unknown {
  const schema = schemaAt(path)
  if (schema === undefined || value === undefined) return value
  const kind = schema[X_PARSER]
  if (kind !== undefined) {
    try {
      return kind === 'instant' ? parseInstant(value)
        : kind === 'speedFactor' ? parseSpeedFactor(value)
        : kind === 'position' ? parsePosition(value)
        : kind === 'threshold' ? parseThreshold(value)
        : parseBounded(value, kind, schema.anyOf?.[0] ?? {})
    } catch (err) {
      if (!(err instanceof UnitError) && !(err instanceof Invalid)) throw err
      issues.add(path, value, err.message)
      return undefined
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => convert(v, [...path, i], issues))
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, [...path, k], issues)]))
  return value
}

function parseBounded(value: unknown, dim: Dimension, b: SchemaNode): number {
  const n = parseQuantity(value, dim)
  const all: Array<[number | undefined, string, boolean]> = [
    [b.minimum, '≥', n >= (b.minimum ?? -Infinity)],
    [b.exclusiveMinimum, '>', n > (b.exclusiveMinimum ?? -Infinity)],
    [b.maximum, '≤', n <= (b.maximum ?? Infinity)],
    [b.exclusiveMaximum, '<', n < (b.exclusiveMaximum ?? Infinity)],
  ]
  const limits = all.filter((x): x is [number, string, boolean] => x[0] !== undefined)
  if (limits.every(([, , ok]) => ok)) return n
  const show = (l: number) => (dim === 'fraction' ? `${l} (${l * 100}%)` : String(l))
  const range = limits.map(([l, op]) => `${op} ${show(l)}`).join(' and ')
  throw new Invalid(`must be ${describeDimension(dim).noun} ${range}, got ${showValue(value)}`)
}

function parseInstant(value: unknown): number {
  // A YAML 1.1 parser would hand over a Date; ours (YAML 1.2) hands over the string.
  const ms = value instanceof Date ? value.getTime()
    : typeof value === 'string' && new RegExp(ISO_TIME_PATTERN).test(value) ? Date.parse(value) : NaN
  if (!Number.isFinite(ms)) throw new Invalid(`must be an ISO 8601 time with a zone, e.g. ${DEFAULT_START}, got ${showValue(value)}`)
  return ms
}

function parseSpeedFactor(value: unknown): number | 'max' {
  if (value === 'max') return value
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value
  throw new Invalid(`must be "max" or a multiple of real time > 0 (e.g. 10), got ${showValue(value)}`)
}

/** Other names people give the two keys (GeoJSON, Leaflet, Google Maps). */
const POSITION_ALIASES: Record<string, string> = { lng: 'lon', long: 'lon', longitude: 'lon', latitude: 'lat' }

function parsePosition(value: unknown): LatLon {
  const shape = `must be [lat, lon] or {lat: …, lon: …}, got ${showValue(value)}`
  let lat: unknown, lon: unknown
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new Invalid(shape)
    ;[lat, lon] = value
  } else if (isRecord(value)) {
    for (const k of Object.keys(value)) {
      if (k !== 'lat' && k !== 'lon') {
        const close = POSITION_ALIASES[k.toLowerCase()] ?? closest(k, ['lat', 'lon'])
        const hint = close ? `did you mean "${close}"? ` : ''
        throw new Invalid(`unknown key "${k}" in a position; ${hint}write [lat, lon] or {lat: …, lon: …}`)
      }
    }
    ;({ lat, lon } = value)
  } else throw new Invalid(shape)
  if (typeof lat !== 'number' || typeof lon !== 'number') throw new Invalid(`${shape}; lat and lon must be numbers`)
  if (!(Math.abs(lat) <= 90)) {
    const swapped = Math.abs(lon) <= 90 ? ' (is it [lon, lat]? positions are [lat, lon])' : ''
    throw new Invalid(`latitude must be in -90..90, got ${lat}${swapped}`)
  }
  if (!(Math.abs(lon) <= 180)) throw new Invalid(`longitude must be in -180..180, got ${lon}`)
  return { lat, lon }
}

function parseThreshold(value: unknown): { op: Expectation['op']; value: number } {
  if (typeof value === 'number' && Number.isFinite(value)) return { op: '==', value }
  const m = typeof value === 'string' ? new RegExp(THRESHOLD_PATTERN).exec(value) : null
  if (m === null) throw new Invalid(`must be "<op> <number>" with op one of >=, <=, >, <, ==, got ${showValue(value)}`)
  return { op: (m[1] ?? '==') as Expectation['op'], value: Number(m[2]) }
}

/** Checks that need more than one field: each is skipped when a field it needs already failed. */
function checkMeaning(data: unknown, raw: unknown, issues: Issues): void {
  const num = (path: Path, dflt?: number): number | undefined => {
    const v = valueAt(data, path)
    return v === undefined && valueAt(raw, path) === undefined ? dflt : typeof v === 'number' ? v : undefined
  }
  const depots = valueAt(data, ['depots'])
  const center = valueAt(data, ['demand', 'area', 'center']) as (LatLon & Record<string, unknown>) | undefined
  if (Array.isArray(depots)) {
    const seen = new Map<unknown, number>()
    let total = 0
    for (const [i, d] of depots.entries()) {
      if (!isRecord(d)) {
        total = NaN
        continue
      }
      const first = seen.get(d.id)
      if (typeof d.id === 'string' && first !== undefined) {
        issues.add(['depots', i, 'id'], d.id, `duplicate depot id "${d.id}" (also depots[${first}])`)
      } else seen.set(d.id, i)
      // NaN when a count is bad, so "0 drones in total" is only said when it is true.
      total += Number.isInteger(d.drones) && (d.drones as number) >= 0 ? (d.drones as number) : NaN
      const p = d.position as LatLon | undefined
      const m = p && isRecord(center) ? haversineM(p.lat, p.lon, center.lat, center.lon) : 0
      if (m > MAX_DEPOT_DISTANCE_M) {
        issues.add(['depots', i, 'position'], valueAt(raw, ['depots', i, 'position']),
          `is ${(m / 1000).toFixed(1)} km from the demand area's center; a depot must be within ${MAX_DEPOT_DISTANCE_M / 1000} km`)
      }
    }
    if (total === 0 && depots.length > 0) issues.add(['depots'], 0, 'the depots have 0 drones in total; at least one is needed')
  }
  const wMin = num(['demand', 'weight', 'min'], DEFAULT_WEIGHT_KG.min)
  const wMax = num(['demand', 'weight', 'max'], DEFAULT_WEIGHT_KG.max)
  if (wMin !== undefined && wMax !== undefined && wMin > wMax) {
    issues.add(['demand', 'weight', 'min'], valueAt(raw, ['demand', 'weight', 'min']), `must not exceed weight.max (${wMax} kg), got ${wMin} kg`)
  }
  const maxPayload = num(['drone', 'maxPayload'], DEFAULT_PROFILE.maxPayloadKg)
  if (wMax !== undefined && maxPayload !== undefined && wMax > maxPayload) {
    issues.add(['demand', 'weight', 'max'], valueAt(raw, ['demand', 'weight', 'max']) ?? wMax,
      `heaviest package ${wMax} kg exceeds drone.maxPayload ${maxPayload} kg; no drone could carry it`)
  }
  const tick = num(['tick'], DEFAULT_TICK_S)
  const duration = num(['duration'])
  if (tick !== undefined && duration !== undefined && tick > duration) {
    issues.add(['tick'], valueAt(raw, ['tick']) ?? tick, `must not exceed duration (${duration} s), got ${tick} s`)
  }
}

/** The document after `convert`: quantities in SI units, positions as LatLon. */
interface Converted {
  name: string
  seed: number
  start?: number
  duration: number
  speed?: number | 'max'
  tick?: number
  drone?: Partial<Record<keyof typeof DRONE_KEYS, number>>
  depots: Depot[]
  demand: { rate: number; area: { center: LatLon; radius: number }; weight?: { min?: number; max?: number }; deadline?: number }
  expect?: Record<string, { op: Expectation['op']; value: number }>
}

/** Assembles the Scenario from a document that passed every check. */
function build(data: unknown, hash: string, issues: Issues): Scenario {
  const d = data as Converted
  const drone: DroneProfile = { ...DEFAULT_PROFILE }
  for (const [key, [field]] of Object.entries(DRONE_KEYS)) {
    const v = d.drone?.[key as keyof typeof DRONE_KEYS]
    if (v !== undefined) drone[field] = v
  }
  const expect = Object.entries(d.expect ?? {}).map(([figure, t]): Expectation => (
    { figure, op: t.op, value: t.value, line: issues.locate(['expect', figure], 'key').line }
  ))
  return {
    name: d.name,
    seed: d.seed,
    start: d.start ?? Date.parse(DEFAULT_START),
    durationS: d.duration,
    speed: d.speed ?? 'max',
    tickS: d.tick ?? DEFAULT_TICK_S,
    drone,
    depots: d.depots.map((x) => ({ id: x.id, position: x.position, drones: x.drones })),
    demand: {
      ratePerHour: d.demand.rate,
      area: { center: d.demand.area.center, radiusM: d.demand.area.radius },
      weightKg: { min: d.demand.weight?.min ?? DEFAULT_WEIGHT_KG.min, max: d.demand.weight?.max ?? DEFAULT_WEIGHT_KG.max },
      deadlineS: d.demand.deadline ?? DEFAULT_DEADLINE_S,
    },
    expect,
    hash,
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}
