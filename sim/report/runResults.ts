import type { LatLon } from '../../protocol/geo.js'
import { checkExpectations, type ExpectationFailure } from './checkExpectations.js'
import type { FaultResult } from '../FaultTimeline.js'
import type { FleetSnapshot } from '../FleetTimeline.js'
import { type FleetState, Phase, droneId } from '../FleetState.js'
import type { DeliveryResult } from './DeliveryResult.js'
import { etaAccuracy, type EtaAccuracy } from './etaAccuracy.js'
import type { ResultsCollector } from './ResultsCollector.js'
import type { Depot, Scenario } from '../scenario/Scenario.js'
import type { Refusal, SimRunStats, Simulator } from '../Simulator.js'
import type { Summary } from './summaryFigures.js'

export interface DroneResult {
  id: string
  depot: string
  deliveries: number
  distanceKm: number
  energyWh: number
  /** Share of the run spent on missions, 0..1. */
  utilization: number
  battery: number
  failed: boolean
}

/** What `results.json` holds. `wallClock` is the only part that varies between identical runs. */
export interface RunResults {
  scenario: {
    name: string
    seed: number
    hash: string
    start: number
    durationS: number
    tickS: number
    drones: number
    wind: Scenario['wind']
    /** How the simulated world differed from what the engine was told. */
    world: Scenario['world']
    zones: Scenario['zones']
    /**
     * With regions only: the scenario's regions, and those this run flew
     * (`sim --regions`: its drones and the demand picked up there; the other
     * figures and lists are of those alone).
     */
    regions?: Scenario['regions']
    flownRegions?: string[]
  }
  summary: Summary
  expectations: Array<{ text: string; ok: boolean }>
  deliveries: readonly DeliveryResult[]
  drones: DroneResult[]
  refusals: Array<Omit<Refusal, 'deliveryId'> & { request: number | null }>
  faults: FaultResult[]
  /** The fleet once per simulated minute. */
  timeline: FleetSnapshot[]
  /** The engine's ETAs against two naive baselines at 1, 5 and 10 min before arrival, and its window's coverage. */
  etaAccuracy: EtaAccuracy
  /** Mean ETA error by whole minutes before arrival (index 0: the last minute), s; null where no prediction fell (n = 0). */
  etaErrorByMinute: Array<{ minutesBefore: number; n: number; meanAbsS: number | null; meanS: number | null }>
  depots: Depot[]
  area: { center: LatLon; radiusM: number; polygon: LatLon[] }
  /**
   * Figures of this particular execution: how fast it ran, with how many
   * workers, and the ids the gateway gave each request (random per run; the
   * deliveries above are keyed by request order instead).
   */
  wallClock: {
    wallMs: number
    realTimeFactor: number
    samplesPerS: number
    samples: number
    workers: number
    speed: number | 'max'
    /** Where the wall time went, ms (see SimRunStats.time). */
    time: SimRunStats['time']
    expectations: Array<{ text: string; ok: boolean }>
    deliveryIds: string[]
    /** Simulated seconds flown: the scenario's duration, or less when the run was interrupted. */
    simulatedS: number
    /** Stopped before the scenario's end (Ctrl-C): every figure covers only `simulatedS`. */
    interrupted: boolean
  }
}

const WALL_FIGURES = new Set(['realTimeFactor', 'samplesPerS'])

function expectationTexts(
  s: Scenario,
  figures: Record<string, number | null>,
  failures: readonly ExpectationFailure[],
  wall: boolean,
): RunResults['expectations'] {
  return s.expect
    .filter((e) => WALL_FIGURES.has(e.figure) === wall)
    .map((e) => {
      const f = failures.find((x) => x.line === e.line && x.figure === e.figure)
      return { text: f ? f.message : `expect ${e.figure} ${e.op} ${e.value}: holds (${figures[e.figure]})`, ok: !f }
    })
}

/** Assembles results.json from a finished run: the collector's deliveries, the simulator's fleet, faults and refusals. */
export function buildRunResults(
  s: Scenario,
  collector: ResultsCollector,
  sim: Simulator,
  stats: SimRunStats,
  workers: number,
  speed: number | 'max',
  ids: string[],
  interrupted = false,
): RunResults {
  const f: FleetState = sim.fleet
  const durationS = stats.ticks * s.tickS
  for (const m of sim.missions) collector.flown(m.deliveryId, m.distanceM, m.energyWh)
  for (const r of sim.refusals) collector.refused(r.deliveryId)
  let busyS = 0
  let energyWh = 0
  let failedDrones = 0
  const completedBy = new Map<string, number>()
  for (const d of collector.deliveries())
    if (d.status === 'Completed' && d.droneId) completedBy.set(d.droneId, (completedBy.get(d.droneId) ?? 0) + 1)
  const drones: DroneResult[] = []
  let i = 0
  for (const depot of s.depots) {
    for (let k = 0; k < depot.drones; k++, i++) {
      if (sim.regions.flown[i] === 0) continue
      busyS += f.busyS[i]!
      energyWh += f.usedWh[i]!
      if (f.phase[i] === Phase.Failed) failedDrones++
      drones.push({
        id: droneId(i),
        depot: depot.id,
        deliveries: completedBy.get(droneId(i)) ?? 0,
        distanceKm: Math.round(f.odoM[i]!) / 1000,
        energyWh: Math.round(f.usedWh[i]! * 10) / 10,
        utilization: durationS ? Math.round((f.busyS[i]! / durationS) * 1000) / 1000 : 0,
        battery: Math.round(f.battery[i]! * 1000) / 1000,
        failed: f.phase[i] === Phase.Failed,
      })
    }
  }
  const summary = collector.summary({ drones: sim.regions.count, durationS, busyS, energyWh, refusals: sim.refusals.length, failedDrones })
  const figures: Record<string, number | null> = { ...summary, realTimeFactor: stats.realTimeFactor, samplesPerS: stats.samplesPerS }
  const failures = checkExpectations(s.expect, figures)
  const lookup = (id: string): { request: number; status: string } | undefined => {
    const d = collector.get(id)
    return d && { request: d.request, status: d.status }
  }
  return {
    scenario: {
      name: s.name,
      seed: s.seed,
      hash: s.hash,
      start: s.start,
      durationS: s.durationS,
      tickS: s.tickS,
      drones: f.n,
      wind: s.wind,
      world: s.world,
      zones: s.zones,
      // Left out without regions, so results stay what they were.
      ...(s.regions.length > 0 ? { regions: s.regions, flownRegions: [...sim.regions.flying] } : {}),
    },
    summary,
    expectations: expectationTexts(s, figures, failures, false),
    deliveries: collector.deliveries(),
    drones,
    refusals: sim.refusals.map(({ deliveryId, ...r }) => ({ ...r, request: lookup(deliveryId)?.request ?? null })),
    faults: sim.faults.results(lookup),
    timeline: sim.timeline.snapshots,
    etaAccuracy: etaAccuracy(collector.deliveries()),
    etaErrorByMinute: collector.etaByMinute.map((b, k) => ({
      minutesBefore: k,
      n: b.n,
      meanAbsS: b.n ? Math.round((b.absS / b.n) * 10) / 10 : null,
      meanS: b.n ? Math.round((b.signedS / b.n) * 10) / 10 : null,
    })),
    depots: s.depots,
    area: s.demand.area,
    wallClock: {
      wallMs: stats.wallMs,
      realTimeFactor: stats.realTimeFactor,
      samplesPerS: stats.samplesPerS,
      samples: stats.samples,
      workers,
      speed,
      time: stats.time,
      expectations: expectationTexts(s, figures, failures, true),
      deliveryIds: ids,
      simulatedS: durationS,
      interrupted,
    },
  }
}

/** Whether every expectation, deterministic or wall-clock, held. */
export function allHeld(r: RunResults): boolean {
  return r.expectations.every((e) => e.ok) && r.wallClock.expectations.every((e) => e.ok)
}
