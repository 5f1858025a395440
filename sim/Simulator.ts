import type { MqttClient } from 'mqtt'
import { Piscina } from 'piscina'
import { decodeClock } from '../protocol/clock.js'
import { decodeCommand, type DroneCommand } from '../protocol/commands.js'
import type { LatLon } from '../protocol/geo.js'
import type { Topics } from '../protocol/topics.js'
import type { DemandArrival } from './demand.js'
import { DemandGenerator } from './demand.js'
import { FaultTimeline } from './FaultTimeline.js'
import { assignMission } from './flight.js'
import { droneIndex, FleetState, Phase, WaypointKind } from './FleetState.js'
import { FleetTimeline } from './FleetTimeline.js'
import { FramePublisher } from './FramePublisher.js'
import { refusalReason } from './missionPlan.js'
import { assignmentRoute, assignmentWaypoints } from './missionWaypoints.js'
import type { Scenario } from './Scenario.js'
import { SHARD_DRONES, shardSlices } from './shards.js'
import type { StepResult, StepTask } from './stepWorker.js'

/** The wall clock, injected so tests and benchmarks control pacing. */
export interface WallClock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemWall: WallClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

export interface SimulatorOptions {
  scenario: Scenario
  /**
   * A connected client of its own: the simulator is one more broker client.
   * A brokerOutage fault ends and reconnects it, so give it a persistent
   * session (clean: false) if commands sent meanwhile should be kept.
   */
  mqtt: MqttClient
  topics: Topics
  /** Hands a delivery request to the service (the gateway's REST API) and returns its id. */
  submit: (a: DemandArrival, request: number) => Promise<string>
  workers: number
  /** Overrides the scenario's speed. */
  speed?: number | 'max'
  wall?: WallClock
  onTick?: (p: SimProgress) => void
  /** How long to wait for the engine to process a tick before giving up, ms. */
  engineTimeoutMs?: number
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
 * (FramePublisher). Each tick ends in lockstep with the engine: it
 * publishes `sim/clock` and waits for the engine's watermark, so the engine
 * has decided on tick t before tick t+1 is flown, at any speed. That, with
 * shards fixed by drone index (not by worker) and telemetry published in
 * drone order, is what makes a run repeatable for any worker count.
 */
export class Simulator {
  readonly fleet: FleetState
  readonly faults: FaultTimeline
  readonly timeline: FleetTimeline
  readonly missions: MissionRecord[] = []
  readonly refusals: Refusal[] = []
  private readonly o: SimulatorOptions
  private readonly pool: Piscina<StepTask, StepResult>
  private readonly pending: DroneCommand[] = []
  /** The mission each drone is flying, by drone index. */
  private readonly current: Array<MissionRecord | null>
  /** The delivery each drone refused, reported in its telemetry until its next command. */
  private readonly refusedBy = new Map<number, string>()
  private watermark = -Infinity
  private waiter: { t: number; resolve: () => void } | null = null
  private readonly onMessage: (topic: string, payload: Buffer) => void

  constructor(o: SimulatorOptions) {
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
    this.faults = new FaultTimeline(s, this.fleet)
    this.timeline = new FleetTimeline(this.fleet)
    this.pool = new Piscina<StepTask, StepResult>({
      filename: new URL('./stepWorker.js', import.meta.url).href,
      minThreads: o.workers,
      maxThreads: o.workers,
    })
    this.onMessage = (topic, payload) => {
      if (topic === o.topics.engineWatermark) {
        const c = decodeClock(payload)
        if (c && c.t > this.watermark) this.watermark = c.t
        if (this.waiter && this.watermark >= this.waiter.t) {
          const w = this.waiter
          this.waiter = null
          w.resolve()
        }
      } else if (o.topics.droneIdOf(topic) !== undefined) {
        const cmd = decodeCommand(payload)
        if (cmd) this.pending.push(cmd)
      }
    }
  }

  async run(): Promise<SimRunStats> {
    const { scenario: s, mqtt, topics: t } = this.o
    const wall = this.o.wall ?? systemWall
    const speed = this.o.speed ?? s.speed
    mqtt.on('message', this.onMessage)
    const subscriptions = { [t.commandsAll]: { qos: 1 as const }, [t.engineWatermark]: { qos: 1 as const } }
    await mqtt.subscribeAsync(subscriptions)
    const demand = new DemandGenerator(s)
    const tickMs = Math.round(s.tickS * 1000)
    const ticks = Math.ceil((s.durationS * 1000) / tickMs)
    const n = this.fleet.n
    const slices = shardSlices(n, this.o.workers)
    const frames = new FramePublisher(t, this.faults, (topic, payload) => mqtt.publish(topic, payload, { qos: 0 }))
    const began = wall.now()
    let requested = 0
    let flown = 0
    let samples = 0
    let down = false
    const time = { stepMs: 0, encodeMs: 0, publishMs: 0, engineWaitMs: 0, submitMs: 0 }
    try {
      for (let tick = 1; tick <= ticks && !this.o.signal?.aborted; tick++) {
        const now = s.start + tick * tickMs
        const tickStart = now - tickMs
        this.faults.beforeTick(tickStart, (i) => this.current[i]?.deliveryId ?? null)
        const wasDown = down
        down = this.faults.brokerDown(tickStart)
        if (down && !wasDown) await mqtt.endAsync(true)
        if (!down && wasDown) {
          await reconnect(mqtt)
          await mqtt.subscribeAsync(subscriptions)
          // Commands the broker kept for us arrive before the engine's answer to this clock.
          const before = this.pending.length
          await this.sync(t.simClock, tickStart)
          this.faults.lateCommands(this.pending.length - before)
        }
        this.applyCommands(tickStart)
        let mark = wall.now()
        for (const a of demand.until(now)) {
          requested++
          await this.o.submit(a, requested)
        }
        time.submitMs += wall.now() - mark
        const batches = await Promise.all(
          slices.map(([from, to]) => this.pool.run({ buffer: this.fleet.buffer, n, from, to, shardDrones: SHARD_DRONES, dtS: s.tickS, t: now, profile: s.drone, wind: s.wind, seed: s.seed })),
        )
        mark = wall.now()
        for (const b of batches) {
          time.stepMs += b.stepMs
          time.encodeMs += b.encodeMs
        }
        samples += frames.tick(batches.flatMap((b) => b.frames), now, down, this.refusedBy)
        time.publishMs += wall.now() - mark
        this.timeline.sample(now)
        mark = wall.now()
        if (!down) await this.sync(t.simClock, now)
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
      if (down) await reconnect(mqtt).catch(() => undefined)
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

  /** Tells the engine all telemetry up to `t` is out and waits until it has processed it. */
  private async sync(topic: string, t: number): Promise<void> {
    await this.o.mqtt.publishAsync(topic, JSON.stringify({ t }), { qos: 1 })
    await this.engineReached(t)
  }

  private engineReached(t: number): Promise<void> {
    if (this.watermark >= t) return Promise.resolve()
    const limit = this.o.engineTimeoutMs ?? 15_000
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null
        reject(new Error(`the engine did not confirm simulated time ${new Date(t).toISOString()} within ${limit} ms; is it running and subscribed to ${this.o.topics.simClock}?`))
      }, limit)
      this.waiter = { t, resolve: () => { clearTimeout(timer); resolve() } }
    })
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
  }

  /** Applies commands that arrived since the last tick, in arrival order. */
  private applyCommands(now: number): void {
    const { scenario: s } = this.o
    for (const cmd of this.pending.splice(0)) {
      const i = droneIndex(cmd.droneId, this.fleet.n)
      if (i < 0 || this.fleet.phase[i] === Phase.Failed) continue
      this.refusedBy.delete(i)
      switch (cmd.type) {
        case 'AssignDelivery': {
          const wps = assignmentWaypoints(cmd)
          const loaded = cmd.loaded === true
          const reason = refusalReason(this.fleet, i, s.drone, s.wind, wps, cmd.payloadKg, loaded)
          if (reason !== undefined) {
            this.refusals.push({ deliveryId: cmd.deliveryId, droneId: cmd.droneId, at: now, reason })
            this.refusedBy.set(i, cmd.deliveryId)
            break
          }
          this.closeMission(i)
          const m: MissionRecord = {
            deliveryId: cmd.deliveryId, droneId: cmd.droneId, startedAt: now,
            route: assignmentRoute({ lat: this.fleet.lat[i]!, lon: this.fleet.lon[i]! }, wps), distanceM: 0, energyWh: 0,
          }
          this.missions.push(m)
          this.current[i] = m
          assignMission(this.fleet, i, wps, cmd.payloadKg, s.drone, loaded)
          break
        }
        case 'ReturnToDepot':
          this.closeMission(i)
          assignMission(this.fleet, i, [{ ...cmd.depot, kind: WaypointKind.Depot }], 0, s.drone)
          break
        default: {
          const never: never = cmd
          return never
        }
      }
    }
  }
}

/** Reconnects a client that was ended, resolving once it is connected again. */
function reconnect(mqtt: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const onConnect = (): void => { mqtt.off('error', onError); resolve() }
    const onError = (err: Error): void => { mqtt.off('connect', onConnect); reject(err) }
    mqtt.once('connect', onConnect)
    mqtt.once('error', onError)
    mqtt.reconnect()
  })
}
