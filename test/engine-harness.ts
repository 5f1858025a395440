import { Engine, type EngineOptions } from '../engine/Engine.js'
import type { DroneCommand } from '../protocol/commands.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import type { DroneState, TelemetrySample } from '../protocol/telemetry.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import { offset } from './helpers/offset.js'

/** Shared by the engine's unit tests: a recording sink, sample helpers, and a scripted flight. */
export const T0 = 1_763_700_000_000
export const S = 1000 // one second in ms
export { offset }

export const DEPOT: LatLon = { lat: 47.6, lon: -122.33 }

export function lerp(a: LatLon, b: LatLon, f: number): LatLon {
  return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f }
}

export interface SampleOpts {
  alt?: number
  battery?: number
  seq?: number
  /** Ground speed, m/s: 15 in cruise and returning, else 0, unless given. */
  speed?: number
  heading?: number
}

/** An engine whose sink records everything, and helpers to feed it; `onEvent` hears each event as it is published. */
export function harness(opts: Partial<Omit<EngineOptions, 'sink'>> = {}, onEvent?: (e: DeliveryEvent) => void) {
  const commands: DroneCommand[] = []
  const events: DeliveryEvent[] = []
  const tracking: TrackingMessage[] = []
  const engine = new Engine({
    profile: DEFAULT_PROFILE,
    depots: [DEPOT],
    sink: {
      command: (c) => commands.push(c),
      event: (e) => {
        events.push(e)
        onEvent?.(e)
      },
      tracking: (m) => tracking.push(m),
    },
    ...opts,
  })
  const seqs = new Map<string, number>()
  const send = (droneId: string, ts: number, at: LatLon, state: DroneState = 'idle', o: SampleOpts = {}): boolean => {
    const seq = o.seq ?? (seqs.get(droneId) ?? 0) + 1
    seqs.set(droneId, Math.max(seq, seqs.get(droneId) ?? 0))
    const grounded = state === 'idle' || state === 'charging'
    const sample: TelemetrySample = {
      droneId,
      seq,
      ts,
      lat: at.lat,
      lon: at.lon,
      alt: o.alt ?? (grounded ? 0 : 60),
      speed: o.speed ?? (state === 'cruise' || state === 'returning' ? 15 : 0),
      heading: o.heading ?? 0,
      battery: o.battery ?? 1,
      state,
    }
    return engine.handleTelemetry(sample)
  }
  const create = (id: string, pickup: LatLon, dropoff: LatLon, weightKg = 1, deadline: number | null = null, receivedAt = T0): void =>
    engine.handleRequest({ type: 'CreateDelivery', id, pickup, dropoff, weightKg, deadline }, receivedAt)
  const cancel = (id: string, reason = 'customer changed their mind'): void =>
    engine.handleRequest({ type: 'CancelDelivery', id, reason }, T0)
  const typesOf = (id: string): string[] => events.filter((e) => e.deliveryId === id).map((e) => e.type)
  return { engine, commands, events, tracking, send, create, cancel, typesOf }
}

export type Harness = ReturnType<typeof harness>

/** Seconds the ETA model gives from an idle drone on the ground to the release of the package. */
export function modelSeconds(drone: LatLon, pickup: LatLon, dropoff: LatLon): number {
  const p = DEFAULT_PROFILE
  const climb = p.cruiseAltitudeM / p.climbRateMps
  const toPickup = haversineM(drone.lat, drone.lon, pickup.lat, pickup.lon)
  const loaded = haversineM(pickup.lat, pickup.lon, dropoff.lat, dropoff.lon)
  return climb + toPickup / p.cruiseSpeedMps + climb + p.handlingS + 2 * climb + loaded / p.cruiseSpeedMps + p.handlingS
}

/** Feeds a flight, one sample a second; `onSample` runs after each. */
export class Flight {
  ts: number
  pos: LatLon
  constructor(
    private readonly h: Harness,
    private readonly id: string,
    start: LatLon,
    ts: number,
    private readonly onSample: () => void = () => {},
  ) {
    this.pos = start
    this.ts = ts
  }

  private emit(state: DroneState, alt: number, battery = 0.9): void {
    this.ts += S
    this.h.send(this.id, this.ts, this.pos, state, { alt, battery })
    this.onSample()
  }

  takeoff(): void {
    for (let alt = 4; alt <= 60; alt += 4) this.emit('takeoff', alt)
  }

  cruise(to: LatLon, state: DroneState = 'cruise'): void {
    const from = this.pos
    const steps = Math.ceil(haversineM(from.lat, from.lon, to.lat, to.lon) / 15)
    for (let k = 1; k <= steps; k++) {
      this.pos = lerp(from, to, k / steps)
      this.emit(state, 60)
    }
  }

  land(): void {
    for (let alt = 56; alt >= 0; alt -= 4) this.emit('landing', alt)
  }

  hover(seconds: number): void {
    for (let k = 0; k < seconds; k++) this.emit('hover', 0)
  }

  state(state: DroneState, battery = 0.9): void {
    this.emit(state, state === 'idle' || state === 'charging' ? 0 : 60, battery)
  }
}

export { until } from './helpers/until.js'
