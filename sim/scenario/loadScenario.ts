/**
 * Scenario YAML → frozen `Scenario` in SI units. Every problem in the file is
 * collected (syntax, structure, units, meaning) and thrown at once as a
 * ScenarioError, each issue naming line, column, field and value, so a user
 * fixes a file in one pass instead of one error per run.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml'
import { DronefleetError, ErrorCodes, type ErrorCode } from '../../protocol/errors.js'
import { haversineM, type LatLon } from '../../protocol/geo.js'
import { DEFAULT_PROFILE, type DroneProfile } from '../../protocol/profile.js'
import { UnitError } from '../../protocol/units.js'
import { areaCenter, checkMeaning } from './checkScenarioMeaning.js'
import { checkStructure } from './checkStructure.js'
import {
  MODEL_WORLD,
  type Depot,
  type DroneSelection,
  type Expectation,
  type Fault,
  type FaultType,
  type Scenario,
  type World,
} from './Scenario.js'
import { Invalid, isRecord, parseNode } from './scenarioParsers.js'
import { DRONE_KEYS } from './droneSchema.js'
import { DEFAULT_DEADLINE_S, DEFAULT_START, DEFAULT_TICK_S, DEFAULT_WEIGHT_KG } from './scenarioDefaults.js'
import { schemaAt, type Path } from './schemaAt.js'
import { X_PARSER } from './schemaNodes.js'
import type { WORLD_KEYS } from './worldSchema.js'

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

/** Replaces every `x-parser` node with its parsed value; a node that fails becomes undefined. */
function convert(value: unknown, path: Path, issues: Issues): unknown {
  const schema = schemaAt(path)
  if (schema === undefined || value === undefined) return value
  const kind = schema[X_PARSER]
  if (kind !== undefined) {
    try {
      return parseNode(kind, value, schema)
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
  demand: {
    rate: number
    phases?: Array<{ at: number; rate: number }>
    area: { center?: LatLon; radius?: number; polygon?: LatLon[] }
    hotspots?: Array<{ center: LatLon; radius: number; weight?: number }>
    pickups?: Array<{ position: LatLon; weight?: number }>
    weight?: { min?: number; max?: number }
    deadline?: number
  }
  wind?: { speed: number; from: number }
  world?: { [part in keyof typeof WORLD_KEYS]?: Partial<Record<keyof (typeof WORLD_KEYS)[part], number>> }
  regions?: Array<{ id: string; polygon: LatLon[] }>
  zones?: Array<{ id: string; name?: string; polygon: LatLon[]; noFly?: boolean }>
  faults?: Array<{
    type: FaultType
    at: number
    for?: number
    drones?: DroneSelection
    sigma?: number
    fraction?: number
    delay?: number
    factor?: number
  }>
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
  const expect = Object.entries(d.expect ?? {}).map(
    ([figure, t]): Expectation => ({ figure, op: t.op, value: t.value, line: issues.locate(['expect', figure], 'key').line }),
  )
  const a = d.demand.area
  const center = areaCenter(a) as LatLon
  const polygon = a.polygon ?? []
  const faults = (d.faults ?? []).map(
    (f, i): Fault => ({
      type: f.type,
      atS: f.at,
      forS: f.type === 'droneFailure' ? null : (f.for ?? null),
      drones: f.drones ?? (f.type === 'droneFailure' ? { kind: 'count', count: 1 } : { kind: 'all' }),
      sigmaM: f.sigma ?? 0,
      fraction: f.fraction ?? 0,
      delayS: f.delay ?? 0,
      factor: f.factor ?? 1,
      line: issues.locate(['faults', i], 'value').line,
    }),
  )
  return {
    name: d.name,
    seed: d.seed,
    start: d.start ?? Date.parse(DEFAULT_START),
    durationS: d.duration,
    speed: d.speed ?? 'max',
    tickS: d.tick ?? DEFAULT_TICK_S,
    drone,
    wind: { speedMps: d.wind?.speed ?? 0, fromDeg: d.wind?.from ?? 0 },
    world: buildWorld(d.world),
    depots: d.depots.map((x) => ({ id: x.id, position: x.position, drones: x.drones })),
    demand: {
      ratePerHour: d.demand.rate,
      phases: (d.demand.phases ?? []).map((p) => ({ atS: p.at, ratePerHour: p.rate })),
      // A polygon's radius is its farthest corner from the center: what maps and bounds need.
      area: { center, radiusM: a.radius ?? Math.max(...polygon.map((p) => haversineM(p.lat, p.lon, center.lat, center.lon))), polygon },
      hotspots: (d.demand.hotspots ?? []).map((h) => ({ center: h.center, radiusM: h.radius, weight: h.weight ?? 1 })),
      pickups: (d.demand.pickups ?? []).map((p) => ({ position: p.position, weight: p.weight ?? 1 })),
      weightKg: { min: d.demand.weight?.min ?? DEFAULT_WEIGHT_KG.min, max: d.demand.weight?.max ?? DEFAULT_WEIGHT_KG.max },
      deadlineS: d.demand.deadline ?? DEFAULT_DEADLINE_S,
    },
    regions: (d.regions ?? []).map((r) => ({ id: r.id, polygon: r.polygon })),
    zones: (d.zones ?? []).map((z) => ({
      id: z.id,
      ...(z.name === undefined ? {} : { name: z.name }),
      polygon: z.polygon,
      noFly: z.noFly ?? true,
    })),
    faults,
    expect,
    hash,
  }
}

/** The world in SI units, every key not given at its default (MODEL_WORLD's: no mismatch). */
function buildWorld(w: Converted['world']): World {
  const m = MODEL_WORLD
  return {
    wind: {
      forecastError: w?.wind?.forecastError ?? m.wind.forecastError,
      gustsMps: w?.wind?.gusts ?? m.wind.gustsMps,
      gustSizeM: w?.wind?.gustSize ?? m.wind.gustSizeM,
      gustTimeS: w?.wind?.gustTime ?? m.wind.gustTimeS,
      driftMps: w?.wind?.drift ?? m.wind.driftMps,
      driftTimeS: w?.wind?.driftTime ?? m.wind.driftTimeS,
    },
    drones: {
      speedSpread: w?.drones?.speedSpread ?? m.drones.speedSpread,
      batterySpread: w?.drones?.batterySpread ?? m.drones.batterySpread,
      batteryAgeing: w?.drones?.batteryAgeing ?? m.drones.batteryAgeing,
    },
    handling: {
      spread: w?.handling?.spread ?? m.handling.spread,
      absent: w?.handling?.absent ?? m.handling.absent,
      absentWaitS: w?.handling?.absentWait ?? m.handling.absentWaitS,
    },
    telemetry: { delayS: w?.telemetry?.delay ?? m.telemetry.delayS, jitterS: w?.telemetry?.jitter ?? m.telemetry.jitterS },
  }
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}
