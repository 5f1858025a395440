import { lonDelta, type LatLon } from '../protocol/geo.js'
import { createRng, type Rng } from './random.js'
import type { World } from './scenario/Scenario.js'
import { windVector, type Wind } from './wind.js'

/** Everything the true wind is made from; plain data, so a step worker can rebuild the same field. */
export interface TrueWindSpec {
  /** The forecast (the scenario's `wind`). */
  forecast: Wind
  world: World['wind']
  seed: number
  /** The scenario's start, ms since the epoch: the field's time runs from it. */
  start: number
  /** The demand area's center: the field's local frame. */
  origin: LatLon
}

/** Wind as the velocity of the air, m/s toward east and north. */
export interface AirVelocity {
  eastMps: number
  northMps: number
}

/** Sinusoids summed per component: enough for a field that looks random and never repeats within a day. */
const GUST_MODES = 12
const DRIFT_MODES = 6
const M_PER_DEG = 111_195
const RAD = Math.PI / 180

interface Mode {
  kx: number
  ky: number
  w: number
  phase: number
}

/**
 * The wind the simulated drones really fly in: the forecast, plus a steady
 * error (a vector of `forecastError` × the forecast's speed, its direction
 * drawn from the seed), plus a slow drift of the mean, plus gusts, a field
 * that varies in space and time and is carried along by the mean wind
 * ("frozen" turbulence). Drift and gusts are sums of sinusoids with random
 * directions, wavelengths, periods and phases, so the field is smooth, has
 * the standard deviation asked for in each component, and is a pure
 * function of (seed, place, time): any worker computes the same wind.
 */
export class TrueWind {
  private readonly base: AirVelocity
  private readonly gusts: [Mode[], Mode[]]
  private readonly drift: [Mode[], Mode[]]
  private readonly mPerDegLon: number

  constructor(private readonly spec: TrueWindSpec) {
    const w = spec.world
    const f = windVector(spec.forecast)
    const rng = createRng(spec.seed, 'wind', 'error')
    const angle = 2 * Math.PI * rng()
    const err = w.forecastError * spec.forecast.speedMps
    this.base = { eastMps: f.eastMps + err * Math.sin(angle), northMps: f.northMps + err * Math.cos(angle) }
    const k = (2 * Math.PI) / w.gustSizeM
    const om = (2 * Math.PI) / w.gustTimeS
    const gustModes = (c: string): Mode[] => modes(createRng(spec.seed, 'wind', `gust-${c}`), GUST_MODES, k, om)
    const driftModes = (c: string): Mode[] =>
      modes(createRng(spec.seed, 'wind', `drift-${c}`), DRIFT_MODES, 0, (2 * Math.PI) / w.driftTimeS)
    this.gusts = [gustModes('e'), gustModes('n')]
    this.drift = [driftModes('e'), driftModes('n')]
    this.mPerDegLon = M_PER_DEG * Math.cos(spec.origin.lat * RAD)
  }

  /** The mean wind at event time t (ms): forecast, error and drift, without gusts. What a drone averaging its own readings knows. */
  meanAt(t: number): AirVelocity {
    const s = (t - this.spec.start) / 1000
    const d = this.spec.world.driftMps
    return {
      eastMps: this.base.eastMps + (d > 0 ? d * sum(this.drift[0], 0, 0, s) : 0),
      northMps: this.base.northMps + (d > 0 ? d * sum(this.drift[1], 0, 0, s) : 0),
    }
  }

  /** The wind at a place and event time t (ms). */
  at(lat: number, lon: number, t: number): AirVelocity {
    const mean = this.meanAt(t)
    const g = this.spec.world.gustsMps
    if (g === 0) return mean
    const s = (t - this.spec.start) / 1000
    // Gusts ride on the mean wind without the drift: the pattern moves, it does not change shape with it.
    const x = lonDelta(this.spec.origin.lon, lon) * this.mPerDegLon - this.base.eastMps * s
    const y = (lat - this.spec.origin.lat) * M_PER_DEG - this.base.northMps * s
    return { eastMps: mean.eastMps + g * sum(this.gusts[0], x, y, s), northMps: mean.northMps + g * sum(this.gusts[1], x, y, s) }
  }

  /** The wind at a place and time as a forecast states it: speed and where it blows from. */
  windAt(lat: number, lon: number, t: number): Wind {
    return toWind(this.at(lat, lon, t))
  }
}

/** An air velocity as speed and the direction it blows from. */
export function toWind(v: AirVelocity): Wind {
  const speedMps = Math.hypot(v.eastMps, v.northMps)
  if (speedMps === 0) return { speedMps: 0, fromDeg: 0 }
  return { speedMps, fromDeg: (((Math.atan2(-v.eastMps, -v.northMps) / RAD) % 360) + 360) % 360 }
}

/** Modes of unit total variance: wavenumbers about k (0 for a field in time only), angular frequencies about om, random signs and phases. */
function modes(rng: Rng, n: number, k: number, om: number): Mode[] {
  const out: Mode[] = []
  for (let m = 0; m < n; m++) {
    const dir = 2 * Math.PI * rng()
    const kk = k * (0.5 + rng())
    out.push({
      kx: kk * Math.sin(dir),
      ky: kk * Math.cos(dir),
      w: om * (0.5 + rng()) * (rng() < 0.5 ? -1 : 1),
      phase: 2 * Math.PI * rng(),
    })
  }
  return out
}

/** Σ cos(k·x + ωt + φ) scaled to unit standard deviation. */
function sum(ms: readonly Mode[], x: number, y: number, s: number): number {
  let v = 0
  for (const m of ms) v += Math.cos(m.kx * x + m.ky * y + m.w * s + m.phase)
  return v * Math.sqrt(2 / ms.length)
}
