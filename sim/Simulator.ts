import type { MqttClient } from 'mqtt'
import { Piscina } from 'piscina'
import { decodeCommand, type DroneCommand } from '../protocol/commands.js'
import type { LatLon } from '../protocol/geo.js'
import type { Topics } from '../protocol/topics.js'
import type { DemandArrival } from './demand.js'
import { DemandGenerator } from './demand.js'
import { assignDroneTraits, droneProfileOf } from './droneTraits.js'
import { droneWorldAt, type DroneWorldSpec } from './DroneWorld.js'
import { EngineLockstep } from './EngineLockstep.js'
import { FaultTimeline } from './FaultTimeline.js'
import { assignMission } from './flight.js'
import { FleetRegions } from './FleetRegions.js'
import { droneIndex, FleetState, Phase, WaypointKind } from './FleetState.js'
import { FleetTimeline } from './FleetTimeline.js'
import { FramePublisher } from './FramePublisher.js'
import { LateTelemetry } from './LateTelemetry.js'
import { refusalReason } from './missionPlan.js'
import { assignmentRoute, assignmentWaypoints } from './missionWaypoints.js'
import { reconnectMqtt } from './reconnectMqtt.js'
import { dronesDiffer, handlingVaries, telemetryLate, windDiffers, type Scenario } from './scenario/Scenario.js'
import { shardGroups } from './shards.js'
import { resolveSimulatorOptions, type ResolvedSimulatorOptions } from './simulatorOptions.js'
import type { StepResult, StepTask } from './stepWorker.js'
import { toWind, TrueWind } from './TrueWind.js'
import type { WallClock } from './WallClock.js'
import type { Wind } from './wind.js'

export interface SimulatorOptions {
  scenario: Scenario
  /**
   * A connected client of its own: the simulator is one more broker client.
   * A brokerOutage fault ends and reconnects it, so give it a persistent
   * session (clean: false) if commands sent meanwhile should be kept.
   */
  mqtt: MqttClient
  /** The tree of topics; each region's telemetry, batches and clock go on its own (Topics.forRegion). */
  topics: Topics
  /**
   * The scenario's regions this simulator flies: their depots' drones, and
   * the demand picked up in them (default: every region). Several
   * simulators, each given some regions, fly one fleet between them.
   */
  regions?: readonly string[]
  /** Hands a delivery request to the service (the gateway's REST API) and returns its id. */
  submit: (a: DemandArrival, request: number) => Promise<string>
  workers: number
  /** Overrides the scenario's speed. */
  speed?: number | 'max'
  /** Default: the system's (performance.now, setTimeout). */
  wall?: WallClock
  onTick?: (p: SimProgress) => void
  /** How long to wait for the engine to process a tick before giving up with DF_ENGINE_TIMEOUT, ms. Default 15,000. */
  engineTimeoutMs?: number
  /** Sends the clock again when the engine has not answered it in this long, ms. Default 1,000. */
  clockRetryMs?: number
  /** How long the broker may stay unreachable during a run before it ends with DF_BROKER_UNREACHABLE, ms. Default 120,000. */
  reconnectTimeoutMs?: number
  /** Ends the run after the tick in progress. */
  signal?: AbortSignal
}

export interface SimProgress {
  tick: number
  ticks: number
  /** Simulated time, ms since the epoch. */
  t: number
  requested: number
}

export interface SimRunStats {
  ticks: number
  samples: number
  requested: number
  wallMs: number
  /** Simulated seconds per wall second. */
  realTimeFactor: number
  samplesPerS: number
  /** Where the wall time went, ms: workers stepping physics and encoding batch frames (summed over workers), main thread publishing, waiting for the engine, submitting demand. */
  time: { stepMs: number; encodeMs: number; publishMs: number; engineWaitMs: number; submitMs: number }
}

/** One drone's mission for one delivery, as the simulator flew it. */
export interface MissionRecord {
  deliveryId: string
  droneId: string
  /** ms since the epoch, when the command was applied. */
  startedAt: number
  /** Where it started, then the waypoints flown: turning points (`via`), pickup (unless loaded), drop-off, depot. */
  route: LatLon[]
  distanceM: number
  energyWh: number
}

/** A command a drone refused because it could not complete it with its reserve. */
export interface Refusal {
  deliveryId: string
  droneId: string
  at: number
  reason: string
}

/**
 * The simulator's main thread: owns the clock, applies the engine's commands
 * between ticks (a drone refuses one it cannot complete with its reserve),
 * switches faults, submits demand, has the piscina pool step the fleet, and
 * publishes telemetry: one binary batch frame per shard of drones
 * (FramePublisher), on the topics of the shard's region. Each tick ends in
 * lockstep with the engine: it publishes `sim/clock` on every region it
 * flies and waits for each one's watermark (EngineLockstep), so the engine
 * has decided on tick t before tick t+1 is flown, at any speed. That, with shards fixed by
 * drone index (not by worker) and telemetry published in drone order, is
 * what makes a run repeatable for any worker count. It flies the drones and
 * the demand of its regions only (FleetRegions).
 */
export class Simulator {
  readonly fleet: FleetState
  readonly faults: FaultTimeline
  readonly timeline: FleetTimeline
  readonly missions: MissionRecord[] = []
  readonly refusals: Refusal[] = []
  /** Which region each drone is in, and the regions, drones and shards this simulator flies. */
  readonly regions: FleetRegions
  private readonly o: ResolvedSimulatorOptions<SimulatorOptions>
  private readonly pool: Piscina<StepTask, StepResult>
  private readonly pending: DroneCommand[] = []
  /** The mission each drone is flying, by drone index. */
  private readonly current: Array<MissionRecord | null>
  /** The command id of each drone's current mission: an engine recovering from a crash sends it again, and the repeat is ignored. */
  private readonly currentCommand = new Map<number, string>()
  /** The delivery each drone refused, reported in its telemetry until its next command. */
  private readonly refusedBy = new Map<number, string>()
  /** The clock sent to, and the watermarks awaited from, the engines of the regions flown. */
  private readonly lockstep: EngineLockstep
  private readonly onMessage: (topic: string, payload: Buffer) => void
  /** How the world differs from the model, for the step workers; null when it does not. */
  private readonly world: DroneWorldSpec | null
  /** The true wind, when it differs from the forecast. */
  private readonly trueWind: TrueWind | null

  constructor(options: SimulatorOptions) {
    const o = resolveSimulatorOptions(options)
    this.o = o
    const s = o.scenario
    const n = s.depots.reduce((sum, d) => sum + d.drones, 0)
    this.fleet = new FleetState(n)
    this.current = new Array<MissionRecord | null>(n).fill(null)
    let i = 0
    for (const depot of s.depots) {
      for (let k = 0; k < depot.drones; k++, i++) {
        this.fleet.lat[i] = this.fleet.fixLat[i] = depot.position.lat
        this.fleet.lon[i] = this.fleet.fixLon[i] = depot.position.lon
        this.fleet.battery[i] = 1
        this.fleet.phase[i] = Phase.Ground
      }
    }
    assignDroneTraits(this.fleet, s.drone, s.world.drones, s.seed)
    const w = s.world
    const windSpec = windDiffers(w) ? { forecast: s.wind, world: w.wind, seed: s.seed, start: s.start, origin: s.demand.area.center } : null
    this.trueWind = windSpec && new TrueWind(windSpec)
    this.world =
      windSpec || dronesDiffer(w) || handlingVaries(w)
        ? { seed: s.seed, world: w, handlingS: s.drone.handlingS, wind: windSpec, forecast: s.wind }
        : null
    this.faults = new FaultTimeline(s, this.fleet)
    this.regions = new FleetRegions(s, o.regions)
    this.timeline = new FleetTimeline(this.fleet, this.regions.flown)
    this.lockstep = new EngineLockstep({
      mqtt: o.mqtt,
      topics: o.topics,
      regions: this.regions.flying,
      wall: o.wall,
      engineTimeoutMs: o.engineTimeoutMs,
      clockRetryMs: o.clockRetryMs,
      reconnectTimeoutMs: o.reconnectTimeoutMs,
    })
    this.pool = new Piscina<StepTask, StepResult>({
      filename: new URL('./stepWorker.js', import.meta.url).href,
      minThreads: o.workers,
      maxThreads: o.workers,
    })
    this.onMessage = (topic, payload) => {
      if (this.lockstep.heard(topic, payload)) return
      if (o.topics.droneIdOf(topic) !== undefined) {
        const cmd = decodeCommand(payload)
        if (cmd) this.pending.push(cmd)
      }
    }
  }

  async run(): Promise<SimRunStats> {
    const { scenario: s, mqtt, topics: t } = this.o
    const { wall, speed } = this.o
    mqtt.on('message', this.onMessage)
    const subscriptions: Record<string, { qos: 1 }> = { [t.commandsAll]: { qos: 1 } }
    for (const topic of this.lockstep.watermarkTopics()) subscriptions[topic] = { qos: 1 }
    await mqtt.subscribeAsync(subscriptions)
    const demand = new DemandGenerator(s)
    const tickMs = Math.round(s.tickS * 1000)
    const ticks = Math.ceil((s.durationS * 1000) / tickMs)
    const n = this.fleet.n
    const slices = shardGroups(this.regions.shards, this.o.workers).map((g) => g.map((sh) => [sh.from, sh.to, sh.id] as const))
    const shardTopics = new Map(this.regions.shards.map((sh) => [sh.id, t.forRegion(sh.region)]))
    const telemetry = telemetryLate(s.world) ? new LateTelemetry(this.faults, s.world.telemetry, s.seed) : this.faults
    const frames = new FramePublisher(
      (shard) => shardTopics.get(shard) ?? t,
      telemetry,
      (topic, payload) => mqtt.publish(topic, payload, { qos: 0 }),
    )
    const began = wall.now()
    let requested = 0
    let flown = 0
    let samples = 0
    let down = false
    const time = { stepMs: 0, encodeMs: 0, publishMs: 0, engineWaitMs: 0, submitMs: 0 }
    try {
      // The engine's clock starts at the scenario's start before any request or sample: nothing is ever stamped by the date of the run.
      await this.lockstep.sync(s.start, s.start + tickMs)
      for (let tick = 1; tick <= ticks && !this.o.signal?.aborted; tick++) {
        const now = s.start + tick * tickMs
        const tickStart = now - tickMs
        this.faults.beforeTick(tickStart, (i) => this.current[i]?.deliveryId ?? null)
        const wasDown = down
        down = this.faults.brokerDown(tickStart)
        if (down && !wasDown) await mqtt.endAsync(true)
        if (!down && wasDown) {
          await reconnectMqtt(mqtt)
          await mqtt.subscribeAsync(subscriptions)
          // Commands the broker kept for us arrive before the engine's answer to this clock.
          const before = this.pending.length
          await this.lockstep.sync(tickStart, now)
          this.faults.lateCommands(this.pending.length - before)
        }
        this.applyCommands(tickStart)
        let mark = wall.now()
        // The engine's clock is at tickStart (the last sim/clock) and stamps what it is sent with it: a request goes in
        // at the first tick boundary after it was made, so the engine never takes it before it was made.
        for (const a of demand.until(tickStart)) {
          // Another simulator makes the requests picked up in the regions it flies.
          if (!this.regions.ownsPickup(a.pickup)) continue
          requested++
          await this.o.submit(a, requested)
        }
        time.submitMs += wall.now() - mark
        const batches = await Promise.all(
          slices.map((shards) =>
            this.pool.run({
              buffer: this.fleet.buffer,
              n,
              shards,
              dtS: s.tickS,
              t: now,
              profile: s.drone,
              wind: s.wind,
              seed: s.seed,
              world: this.world,
            }),
          ),
        )
        mark = wall.now()
        for (const b of batches) {
          time.stepMs += b.stepMs
          time.encodeMs += b.encodeMs
        }
        samples += frames.tick(
          batches.flatMap((b) => b.frames),
          now,
          down,
          this.refusedBy,
        )
        time.publishMs += wall.now() - mark
        this.timeline.sample(now)
        mark = wall.now()
        if (!down) await this.lockstep.sync(now, now + tickMs)
        time.engineWaitMs += wall.now() - mark
        if (speed !== 'max') {
          const due = began + (now - s.start) / speed
          const ahead = due - wall.now()
          if (ahead > 1) await wall.sleep(ahead)
        }
        flown = tick
        this.o.onTick?.({ tick, ticks, t: now, requested })
      }
    } finally {
      mqtt.off('message', this.onMessage)
      for (let i = 0; i < n; i++) this.closeMission(i)
      if (down) await reconnectMqtt(mqtt).catch(() => undefined)
    }
    const wallMs = Math.max(1, wall.now() - began)
    return {
      ticks: flown,
      samples,
      requested,
      wallMs: Math.round(wallMs),
      realTimeFactor: Math.round(((flown * tickMs) / wallMs) * 10) / 10,
      samplesPerS: Math.round((samples * 1000) / wallMs),
      time: Object.fromEntries(Object.entries(time).map(([k, v]) => [k, Math.round(v)])) as SimRunStats['time'],
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy()
  }

  /** Adds the distance and energy of drone i's mission so far to its record, and ends it. */
  private closeMission(i: number): void {
    const m = this.current[i]
    if (!m) return
    m.distanceM = Math.round(m.distanceM + this.fleet.missionM[i]!)
    m.energyWh = Math.round((m.energyWh + this.fleet.missionWh[i]!) * 100) / 100
    this.fleet.missionM[i] = 0
    this.fleet.missionWh[i] = 0
    this.current[i] = null
    this.currentCommand.delete(i)
  }

  /** Applies commands that arrived since the last tick, in arrival order. */
  private applyCommands(now: number): void {
    const { scenario: s } = this.o
    const world = this.world ? droneWorldAt(this.world, now) : undefined
    const ageing = s.world.drones.batteryAgeing
    for (const cmd of this.pending.splice(0)) {
      const i = droneIndex(cmd.droneId, this.fleet.n)
      // Another simulator flies the drones of the other regions.
      if (i < 0 || this.regions.flown[i] === 0 || this.fleet.phase[i] === Phase.Failed) continue
      // The same mission again (same command, same delivery, still flown): already under way, neither restarted nor refused.
      if (cmd.type === 'AssignDelivery' && this.current[i]?.deliveryId === cmd.deliveryId && this.currentCommand.get(i) === cmd.commandId)
        continue
      this.refusedBy.delete(i)
      switch (cmd.type) {
        case 'AssignDelivery': {
          const wps = assignmentWaypoints(cmd)
          const loaded = cmd.loaded === true
          // The drone plans with its own airspeed and battery, and the wind it has been measuring (the mean, not this second's gust).
          const reason = refusalReason(
            this.fleet,
            i,
            droneProfileOf(this.fleet, i, s.drone, ageing),
            this.windFelt(now),
            wps,
            cmd.payloadKg,
            loaded,
          )
          if (reason !== undefined) {
            this.refusals.push({ deliveryId: cmd.deliveryId, droneId: cmd.droneId, at: now, reason })
            this.refusedBy.set(i, cmd.deliveryId)
            break
          }
          this.closeMission(i)
          const m: MissionRecord = {
            deliveryId: cmd.deliveryId,
            droneId: cmd.droneId,
            startedAt: now,
            route: assignmentRoute({ lat: this.fleet.lat[i]!, lon: this.fleet.lon[i]! }, wps),
            distanceM: 0,
            energyWh: 0,
          }
          this.missions.push(m)
          this.current[i] = m
          this.currentCommand.set(i, cmd.commandId)
          assignMission(this.fleet, i, wps, cmd.payloadKg, s.drone, loaded, world)
          break
        }
        case 'ReturnToDepot':
          this.closeMission(i)
          assignMission(this.fleet, i, [{ ...cmd.depot, kind: WaypointKind.Depot }], 0, s.drone, false, world)
          break
        default:
          cmd satisfies never
      }
    }
  }

  /** The wind a drone judges a mission by: the forecast, or the true mean wind when the world's differs. */
  private windFelt(now: number): Wind {
    return this.trueWind ? toWind(this.trueWind.meanAt(now)) : this.o.scenario.wind
  }
}
