import { droneState } from './flight.js'
import { droneId, droneIndex, Flag, type FleetState, Phase } from './FleetState.js'
import { createRng } from './random.js'
import type { Fault, Scenario } from './scenario/Scenario.js'

/** What one fault did, as results.json reports it. */
export interface FaultResult {
  type: Fault['type']
  line: number
  /** ms since the epoch. */
  from: number
  /** ms since the epoch; null when it lasted to the end (or, for droneFailure, is permanent). */
  until: number | null
  drones: string[]
  effect: Record<string, unknown>
}

interface Live {
  f: Fault
  index: number
  startMs: number
  endMs: number
  state: 'pending' | 'active' | 'over'
  members: Uint8Array
  ids: number[]
  effect: Record<string, number>
  /** batteryDrain: each member's usedWh when it began, and when it ended. */
  usedAtStart: number[]
  usedAtEnd: number[] | null
  /** droneFailure: what each drone was doing when it failed. */
  failed: Array<{ droneId: string; state: string; deliveryId: string | null; lat: number; lon: number; alt: number }>
}

/** What becomes of one telemetry sample. */
export const Fate = { Send: 0, Drop: -1 } as const

/**
 * The scenario's faults on the simulated clock. Before each tick it switches
 * faults on and off in the shared fleet arrays (drone failures, GPS noise and
 * dropout, faulty batteries); for each sample it says whether it is lost or
 * delayed; it says when the simulator's broker connection is down. Drones
 * are chosen from the `faults` stream when the fault begins, so a failure
 * "in flight" picks among drones that are flying then. Counts of what each
 * fault did become its `effect` in the results.
 *
 * Faults of one kind may overlap on a drone. Its GPS noise, held fix and
 * battery drain are then recomputed from every fault active on it whenever
 * one begins or ends (the worst applies: the largest sigma or factor), so the
 * first to end does not clear what the other still imposes.
 */
export class FaultTimeline {
  private readonly live: Live[]
  private readonly fleet: FleetState
  private readonly seed: number

  constructor(s: Scenario, fleet: FleetState) {
    this.fleet = fleet
    this.seed = s.seed
    this.live = s.faults.map((f, index) => ({
      f,
      index,
      startMs: s.start + f.atS * 1000,
      endMs: f.forS === null ? Infinity : s.start + (f.atS + f.forS) * 1000,
      state: 'pending',
      members: new Uint8Array(fleet.n),
      ids: [],
      effect: {},
      usedAtStart: [],
      usedAtEnd: null,
      failed: [],
    }))
  }

  get count(): number {
    return this.live.length
  }

  /**
   * Switches faults for the tick that begins at `t` (ms since the epoch).
   * `deliveryOf` names the delivery a drone is flying, for the record of a failure.
   */
  beforeTick(t: number, deliveryOf: (i: number) => string | null): void {
    for (const l of this.live) {
      if (l.state === 'pending' && t >= l.startMs) {
        l.state = 'active'
        this.begin(l, deliveryOf)
      }
      if (l.state === 'active' && t >= l.endMs) {
        l.state = 'over'
        this.end(l)
      }
    }
  }

  /** Whether the simulator's broker connection is down during the tick that begins at `t`. */
  brokerDown(t: number): boolean {
    return this.live.some((l) => l.f.type === 'brokerOutage' && t >= l.startMs && t < l.endMs)
  }

  /** Fate.Send, Fate.Drop, or a delay in ms for drone i's sample `seq`; counts what it decides. */
  telemetryFate(i: number, seq: number): number {
    let fate: number = Fate.Send
    for (const l of this.live) {
      if (l.state !== 'active' || !l.members[i]) continue
      switch (l.f.type) {
        case 'telemetryLoss':
          if (createRng(this.seed, `loss-${l.index}`, `${i}:${seq}`)() < l.f.fraction) {
            l.effect.samplesLost = (l.effect.samplesLost ?? 0) + 1
            return Fate.Drop
          }
          break
        case 'telemetryDelay':
          l.effect.samplesDelayed = (l.effect.samplesDelayed ?? 0) + 1
          fate = Math.max(fate, l.f.delayS * 1000)
          break
        case 'gpsNoise':
          l.effect.samplesWithNoise = (l.effect.samplesWithNoise ?? 0) + 1
          break
        case 'gpsDropout':
          l.effect.samplesWithHeldPosition = (l.effect.samplesWithHeldPosition ?? 0) + 1
          break
        default:
          break
      }
    }
    return fate
  }

  /** Counts a sample the outage kept from being sent. */
  notSent(): void {
    for (const l of this.live)
      if (l.f.type === 'brokerOutage' && l.state === 'active') l.effect.samplesNotSent = (l.effect.samplesNotSent ?? 0) + 1
  }

  /** Counts commands that reached the simulator only when the connection came back. */
  lateCommands(n: number): void {
    for (const l of this.live)
      if (l.f.type === 'brokerOutage' && l.state !== 'pending') l.effect.commandsAfterReconnect = (l.effect.commandsAfterReconnect ?? 0) + n
  }

  /**
   * The record of every fault. `lookup` turns the delivery a failed drone
   * carried into its request number and final status (ids differ between runs).
   */
  results(lookup: (deliveryId: string) => { request: number; status: string } | undefined): FaultResult[] {
    return this.live.map((l) => {
      const effect: Record<string, unknown> = { ...l.effect }
      if (l.f.type === 'batteryDrain') {
        const f = this.fleet
        const extra = l.f.factor - 1
        // Up to its end, not the run's: energy drawn after the battery recovered is not this fault's.
        const usedAt = (i: number, k: number): number => l.usedAtEnd?.[k] ?? f.usedWh[i]!
        effect.extraEnergyWh = round1(l.ids.reduce((s, i, k) => s + ((usedAt(i, k) - (l.usedAtStart[k] ?? 0)) * extra) / (1 + extra), 0))
        effect.dronesRanDry = l.ids.filter((i) => f.phase[i] === Phase.Failed && !(f.flags[i]! & Flag.Silent)).length
      }
      if (l.f.type === 'droneFailure') {
        effect.failed = l.failed.map(({ deliveryId, ...x }) => {
          const d = deliveryId ? lookup(deliveryId) : undefined
          return { ...x, request: d?.request ?? null, deliveryStatus: d?.status ?? null }
        })
      }
      if (l.state === 'pending') effect.note = 'the run ended before it began'
      return {
        type: l.f.type,
        line: l.f.line,
        from: l.startMs,
        until: Number.isFinite(l.endMs) ? l.endMs : null,
        drones: l.ids.map(droneId),
        effect,
      }
    })
  }

  private begin(l: Live, deliveryOf: (i: number) => string | null): void {
    const f = this.fleet
    if (l.f.type !== 'brokerOutage') l.ids = this.choose(l)
    for (const i of l.ids) l.members[i] = 1
    for (const i of l.ids) {
      switch (l.f.type) {
        case 'droneFailure':
          l.failed.push({
            droneId: droneId(i),
            state: droneState(f, i),
            deliveryId: deliveryOf(i),
            lat: f.lat[i]!,
            lon: f.lon[i]!,
            alt: f.alt[i]!,
          })
          f.phase[i] = Phase.Failed
          f.speed[i] = 0
          f.flags[i] = f.flags[i]! | Flag.Silent
          break
        case 'gpsNoise':
        case 'gpsDropout':
          this.reapply(i)
          break
        case 'batteryDrain':
          l.usedAtStart.push(f.usedWh[i]!)
          this.reapply(i)
          break
        default:
          break
      }
    }
  }

  private end(l: Live): void {
    if (l.f.type === 'batteryDrain') l.usedAtEnd = l.ids.map((i) => this.fleet.usedWh[i]!)
    if (l.f.type === 'gpsNoise' || l.f.type === 'gpsDropout' || l.f.type === 'batteryDrain') for (const i of l.ids) this.reapply(i)
  }

  /**
   * Drone i's GPS noise, held fix and battery drain from the faults active
   * on it now (l.state is switched before begin/end run): the largest sigma,
   * a held fix while any dropout lasts, the largest drain.
   */
  private reapply(i: number): void {
    let sigmaM = 0
    let hold = false
    let drainExtra = 0
    for (const l of this.live) {
      if (l.state !== 'active' || !l.members[i]) continue
      if (l.f.type === 'gpsNoise') sigmaM = Math.max(sigmaM, l.f.sigmaM)
      else if (l.f.type === 'gpsDropout') hold = true
      else if (l.f.type === 'batteryDrain') drainExtra = Math.max(drainExtra, l.f.factor - 1)
    }
    const f = this.fleet
    f.gpsSigmaM[i] = sigmaM
    f.flags[i] = hold ? f.flags[i]! | Flag.GpsHold : f.flags[i]! & ~Flag.GpsHold
    f.drainExtra[i] = drainExtra
  }

  /** The fault's drones: named, or drawn from the `faults` stream (flying drones first for a failure). */
  private choose(l: Live): number[] {
    const n = this.fleet.n
    const sel = l.f.drones
    if (sel.kind === 'ids') return sel.ids.map((id) => droneIndex(id, n)).filter((i) => i >= 0)
    if (sel.kind === 'all') return Array.from({ length: n }, (_, i) => i)
    const want = sel.kind === 'count' ? Math.min(sel.count, n) : Math.max(1, Math.round(sel.fraction * n))
    const all = Array.from({ length: n }, (_, i) => i)
    const airborne = (i: number): boolean => this.fleet.phase[i] !== Phase.Ground && this.fleet.phase[i] !== Phase.Failed
    const pool =
      l.f.type === 'droneFailure'
        ? [...all.filter(airborne), ...all.filter((i) => !airborne(i) && this.fleet.phase[i] !== Phase.Failed)]
        : all
    const flying = l.f.type === 'droneFailure' ? all.filter(airborne).length : pool.length
    const rng = createRng(this.seed, 'faults', l.index)
    // Partial Fisher–Yates, within the flying drones first.
    const picked: number[] = []
    for (let k = 0; k < want && k < pool.length; k++) {
      const hi = k < flying ? flying : pool.length
      const j = k + Math.floor(rng() * (hi - k))
      ;[pool[k], pool[j]] = [pool[j] as number, pool[k] as number]
      picked.push(pool[k] as number)
    }
    return picked.sort((a, b) => a - b)
  }
}

const round1 = (v: number): number => Math.round(v * 10) / 10
