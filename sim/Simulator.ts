import type { MqttClient } from 'mqtt'
import { Piscina } from 'piscina'
import { decodeClock } from '../protocol/clock.js'
import { decodeCommand, type DroneCommand } from '../protocol/commands.js'
import type { Topics } from '../protocol/topics.js'
import type { DemandArrival } from './demand.js'
import { DemandGenerator } from './demand.js'
import { assignMission } from './flight.js'
import { droneId, droneIndex, FleetState, Phase, WaypointKind } from './FleetState.js'
import type { Scenario } from './Scenario.js'
import type { StepTask } from './stepWorker.js'

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
  /** A connected client of its own: the simulator is one more broker client. */
  mqtt: MqttClient
  topics: Topics
  /** Hands a delivery request to the service (the gateway's REST API) and returns its id. */
  submit: (a: DemandArrival) => Promise<string>
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
}

/**
 * The simulator's main thread: owns the clock, applies the engine's commands
 * between ticks, submits demand, has the piscina pool step the fleet, and
 * publishes telemetry. Each tick ends in lockstep with the engine: it
 * publishes `sim/clock` and waits for the engine's watermark, so the engine
 * has decided on tick t before tick t+1 is flown, at any speed.
 */
export class Simulator {
  readonly fleet: FleetState
  private readonly o: SimulatorOptions
  private readonly pool: Piscina<StepTask, string[]>
  private readonly pending: DroneCommand[] = []
  private watermark = -Infinity
  private waiter: { t: number; resolve: () => void } | null = null
  private readonly onMessage: (topic: string, payload: Buffer) => void

  constructor(o: SimulatorOptions) {
    this.o = o
    const s = o.scenario
    const n = s.depots.reduce((sum, d) => sum + d.drones, 0)
    this.fleet = new FleetState(n)
    let i = 0
    for (const depot of s.depots) {
      for (let k = 0; k < depot.drones; k++, i++) {
        this.fleet.lat[i] = depot.position.lat
        this.fleet.lon[i] = depot.position.lon
        this.fleet.battery[i] = 1
        this.fleet.phase[i] = Phase.Ground
      }
    }
    this.pool = new Piscina<StepTask, string[]>({
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
    await mqtt.subscribeAsync({ [t.commandsAll]: { qos: 1 }, [t.engineWatermark]: { qos: 1 } })
    const demand = new DemandGenerator(s)
    const tickMs = Math.round(s.tickS * 1000)
    const ticks = Math.ceil((s.durationS * 1000) / tickMs)
    const n = this.fleet.n
    const slices = sliceRanges(n, this.o.workers)
    const began = wall.now()
    let requested = 0
    let flown = 0
    try {
      for (let tick = 1; tick <= ticks && !this.o.signal?.aborted; tick++) {
        const now = s.start + tick * tickMs
        this.applyCommands()
        for (const a of demand.until(now)) {
          await this.o.submit(a)
          requested++
        }
        const batches = await Promise.all(
          slices.map(([from, to]) => this.pool.run({ buffer: this.fleet.buffer, n, from, to, dtS: s.tickS, t: now, profile: s.drone })),
        )
        slices.forEach(([from], k) => {
          const payloads = batches[k] as string[]
          for (let j = 0; j < payloads.length; j++) mqtt.publish(t.telemetry(droneId(from + j)), payloads[j] as string, { qos: 0 })
        })
        await mqtt.publishAsync(t.simClock, JSON.stringify({ t: now }), { qos: 1 })
        await this.engineReached(now)
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
    }
    const wallMs = Math.max(1, wall.now() - began)
    return {
      ticks: flown,
      samples: flown * n,
      requested,
      wallMs: Math.round(wallMs),
      realTimeFactor: Math.round(((flown * tickMs) / wallMs) * 10) / 10,
      samplesPerS: Math.round((flown * n * 1000) / wallMs),
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy()
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

  /** Applies commands that arrived since the last tick, in arrival order. */
  private applyCommands(): void {
    const { scenario: s } = this.o
    for (const cmd of this.pending.splice(0)) {
      const i = droneIndex(cmd.droneId, this.fleet.n)
      if (i < 0) continue
      switch (cmd.type) {
        case 'AssignDelivery':
          assignMission(this.fleet, i, [
            { ...cmd.pickup, kind: WaypointKind.Pickup },
            { ...cmd.dropoff, kind: WaypointKind.Dropoff },
            { ...cmd.depot, kind: WaypointKind.Depot },
          ], cmd.payloadKg, s.drone)
          break
        case 'ReturnToDepot':
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

/** Splits [0, n) into `parts` contiguous ranges of near-equal size. */
export function sliceRanges(n: number, parts: number): Array<[number, number]> {
  const k = Math.max(1, Math.min(parts, n))
  const out: Array<[number, number]> = []
  for (let p = 0; p < k; p++) out.push([Math.floor((p * n) / k), Math.floor(((p + 1) * n) / k)])
  return out
}
