import type { LatLon } from '../protocol/geo.js'
import { cruisePowerW, type DroneProfile } from '../protocol/profile.js'
import type { DroneState } from '../protocol/telemetry.js'
import { DroneFactors } from './DroneFactors.js'
import { EtaCalibration } from './EtaCalibration.js'
import type { WindField } from './groundSpeed.js'
import { HandlingTimes } from './HandlingTimes.js'
import type { LearnedState } from './LearnedState.js'
import { WindEstimate } from './WindEstimate.js'

/** What the learner keeps of one drone between its samples. */
export interface DroneRecord {
  ts: number
  battery: number
  state: DroneState
  payloadKg: number
  airTs: number
  /** Its last air observation was set aside as an outlier. */
  outlier: boolean
  /** The learner's generation it belongs to: one from before a load() is stale. */
  gen: number
}

/** What learning needs of a drone's sample (a TrackedDrone after it took the sample). */
export interface ObservedDrone extends LatLon {
  id: string
  ts: number
  speed: number
  heading: number
  battery: number
  state: DroneState
  /**
   * A slot (null until the learner fills it) where the learner keeps its
   * record of this drone: found there, not looked up by id, on every sample
   * of a 10,000-drone fleet. Without the slot the record is looked up.
   */
  learned?: DroneRecord | null
}

/** A course, or how to get it: asked only when an air observation is due (every AIR_EVERY_MS of a cruising drone). */
export type Course<D> = number | null | ((d: D) => number | null)

/** States in which a battery drains at a known power. */
const airborne = (s: DroneState): boolean => s === 'cruise' || s === 'returning' || s === 'hover' || s === 'takeoff' || s === 'landing'
/** A drone whose nose is further than this off its track is not reading the wind, degrees. */
const MAX_CRAB_DEG = 60
/** An air observation further than this (or 3 × the usual) from the wind known there is an outlier, m/s. */
const OUTLIER_MPS = 4
/** How often a cruising drone's ground and air velocities are taken as an observation, ms of event time. */
const AIR_EVERY_MS = 2000
/** Consecutive samples further apart than this say little about one power level. */
const MAX_GAP_MS = 5000
const RAD = Math.PI / 180
/** Energy kept on top of a plan made with learned figures (wind, drones' factors): 2 %. */
const PLAN_MARGIN = 1.02
/** Factors are known to this precision: a drone that flies as the profile says is exactly 1. */
const round4 = (v: number): number => Math.round(v * 10_000) / 10_000

/**
 * What the engine learns from its drones' telemetry and is not told:
 * the wind where they fly (a cruising drone's ground velocity against its
 * air velocity is an anemometer), each drone's speed and energy factors,
 * how long handling takes, and how wrong its own ETAs have been (the
 * calibration of the P10–P90 window). Pure: time is the samples' event time.
 */
export class FleetLearning {
  readonly wind: WindEstimate
  readonly factors = new DroneFactors()
  readonly handling: HandlingTimes
  readonly calibration = new EtaCalibration()
  private readonly last = new Map<string, DroneRecord>()
  /** Bumped by load(): records kept in drones' slots before it are stale. */
  private gen = 0
  /** Running mean square of how far air observations fall from the wind known where they are, (m/s)². */
  private offSq = 4
  /** Where the fleet's noses have pointed lately. */
  private readonly headings = new HeadingSpread(300_000)

  constructor(
    private readonly p: DroneProfile,
    prior?: WindField,
  ) {
    this.wind = new WindEstimate({ prior })
    this.handling = new HandlingTimes(p.handlingS)
  }

  /**
   * A drone's new sample. Its battery against the previous sample's teaches
   * its energy factor; cruising on a known course (degrees, the direction of
   * its track: toward its plan's next waypoint), its ground and air
   * velocities teach the wind and its speed factor. `payloadKg`: what it
   * carries, as far as the engine knows.
   */
  observe<D extends ObservedDrone>(d: D, course: Course<D>, payloadKg: number): void {
    let prev = d.learned
    if (!prev || prev.gen !== this.gen) {
      prev = this.last.get(d.id)
      if (prev && d.learned !== undefined) d.learned = prev
    }
    const dt = prev ? d.ts - prev.ts : 0
    if (prev && dt > 0 && dt <= MAX_GAP_MS && prev.state === d.state && airborne(d.state) && d.battery < prev.battery) {
      const cruising = d.state === 'cruise' || d.state === 'returning'
      const powerW = cruising ? cruisePowerW(this.p, prev.payloadKg) : this.p.hoverW
      this.factors.observeEnergy(
        d.id,
        cruising ? 'cruise' : 'hover',
        (prev.battery - d.battery) * this.p.batteryWh,
        (powerW * dt) / 3_600_000,
      )
    }
    let airTs = prev?.airTs ?? -Infinity
    let outlier = prev?.outlier ?? false
    // One air observation per drone every AIR_EVERY_MS is plenty: a second apart they say nearly the same.
    if (course !== null && (d.state === 'cruise' || d.state === 'returning') && d.speed > 0 && d.ts - airTs >= AIR_EVERY_MS) {
      const courseDeg = typeof course === 'function' ? course(d) : course
      if (courseDeg !== null) {
        outlier = this.observeAir(d, courseDeg, Math.min(5, (d.ts - airTs) / 1000), outlier)
        airTs = d.ts
      }
    }
    // Updated in place: one object per drone, not one per sample.
    if (!prev) {
      const rec: DroneRecord = { ts: d.ts, battery: d.battery, state: d.state, payloadKg, airTs, outlier, gen: this.gen }
      this.last.set(d.id, rec)
      if (d.learned !== undefined) d.learned = rec
    } else if (d.ts >= prev.ts) {
      prev.ts = d.ts
      prev.battery = d.battery
      prev.state = d.state
      prev.payloadKg = payloadKg
      prev.airTs = airTs
      prev.outlier = outlier
    }
  }

  /** What it has learned, as JSON (LearnedState.ts). */
  save(): LearnedState {
    const last: LearnedState['last'] = []
    for (const [id, l] of this.last) last.push([id, l.ts, l.battery, l.state, l.payloadKg, finite(l.airTs), l.outlier])
    return {
      v: 1,
      wind: this.wind.save(),
      factors: this.factors.save(),
      handling: this.handling.save(),
      calibration: this.calibration.save(),
      offSq: this.offSq,
      headings: this.headings.save(),
      last,
    }
  }

  /** Takes back what save() gave, checked by readLearnedState: what was learned before replaces what this one knows. */
  load(s: LearnedState): void {
    this.wind.load(s.wind)
    this.factors.load(s.factors)
    this.handling.load(s.handling)
    this.calibration.load(s.calibration)
    this.offSq = s.offSq
    this.headings.load(s.headings)
    this.last.clear()
    const gen = ++this.gen
    for (const [id, ts, battery, state, payloadKg, airTs, outlier] of s.last)
      this.last.set(id, { ts, battery, state, payloadKg, airTs: airTs ?? -Infinity, outlier, gen })
  }

  /**
   * The wind to predict arrivals with: the learned field (the fleet's trend,
   * and what drones nearby see now, fading with the time ahead); undefined
   * while no wind is known at all (the planners' still-air paths).
   */
  windField(): WindField | undefined {
    return this.wind.known ? this.wind.field : undefined
  }

  /**
   * The wind to judge a flight's energy with: the learned mean as it is now,
   * everywhere and for the whole flight, which is how a drone judges the
   * command it is sent; a gust of the moment is no energy to count on.
   */
  planningWind(): WindField | undefined {
    return this.wind.known ? this.wind.meanNow : undefined
  }

  /**
   * The profile the engine plans a drone's flights with: its learned
   * airspeed, its energy factors (hover folded into the battery, a battery
   * that gives less per share of charge; cruise into the consumption), and
   * the learned mean handling time. Cruise power stays the profile's per
   * second but for the factor (it was measured against it). `id` null: the
   * fleet's, with no drone's factors. `cautious`: in a known wind, with the
   * airspeed the drone has at least in nine cases out of ten
   * (DroneFactors.speedLow), to judge whether its battery covers a flight;
   * times are planned with the best estimate.
   */
  profileOf(id: string | null, cautious = false): DroneProfile {
    const handlingS = (this.handling.mean('pickup') + this.handling.mean('dropoff')) / 2
    const f = id === null ? null : this.factors.all(id)
    // Caution only in a known wind: there a slow drone's ground speed, so its energy, suffers most; in still air
    // the plans stay the model's (a slower drone also draws less power, and an unseen one is planned as hungry).
    const k = f === null || id === null ? 1 : round4(cautious && this.wind.known ? this.factors.speedLow(id) : f.speed)
    const hover = f === null ? 1 : round4(f.hover)
    const cruise = f === null ? 1 : round4(f.cruise)
    // What is learned is an estimate: a drone's plans keep a little energy on top, as its own check does not.
    const margin = id !== null && this.wind.known ? PLAN_MARGIN : 1
    if (k === 1 && hover === 1 && cruise === 1 && handlingS === this.p.handlingS && margin === 1) return this.p
    const ref = this.p.refSpeedMps ?? this.p.cruiseSpeedMps
    const r = cruise / hover
    return {
      ...this.p,
      cruiseSpeedMps: this.p.cruiseSpeedMps * k,
      // Power per second at the profile's airspeed: consumption per air-km scales as (speed/ref)², so ref moves by k^1.5.
      refSpeedMps: ref * k ** 1.5,
      whPerKm: this.p.whPerKm * r,
      whPerKgKm: this.p.whPerKgKm * r,
      batteryWh: this.p.batteryWh / (hover * margin),
      handlingS,
    }
  }

  /**
   * One cruising drone's air observation; returns whether it was set aside as
   * an outlier. One that disagrees with the wind known there by more than
   * max(4 m/s, 3 × the usual disagreement) is a bad fix or a drone off its
   * plan, not weather, and teaches nothing, unless the same drone's previous
   * observation disagreed too: then the wind has changed.
   */
  private observeAir(d: ObservedDrone, courseDeg: number, weightS: number, lastWasOutlier: boolean): boolean {
    // A nose more than 60° off the track is no crab into a crosswind a drone could fly: not a reading at all.
    const crab = Math.abs(((courseDeg - d.heading + 540) % 360) - 180)
    if (crab > MAX_CRAB_DEG) return lastWasOutlier
    const ge = d.speed * Math.sin(courseDeg * RAD)
    const gn = d.speed * Math.cos(courseDeg * RAD)
    const he = Math.sin(d.heading * RAD)
    const hn = Math.cos(d.heading * RAD)
    const v = this.p.cruiseSpeedMps
    const here = this.wind.at(d, d.ts)
    const off = Math.hypot(ge - v * this.factors.speed(d.id) * he - here.eastMps, gn - v * this.factors.speed(d.id) * hn - here.northMps)
    if (off > Math.max(OUTLIER_MPS, 3 * Math.sqrt(this.offSq)) && !lastWasOutlier) return true
    this.offSq += 0.01 * (off * off - this.offSq)
    // Its airspeed against the fleet-wide wind: gusts average out over a drone's many flights. Drones all on one
    // course cannot tell a headwind from a slow drone, so this counts only as much as the fleet's courses differ;
    // and beyond ±30 % it is the wind (not yet known) that differs, not the drone.
    const diverse = this.headings.diversity
    this.headings.add(d.ts, he, hn, weightS)
    const fleet = this.wind.fleetMean(d, d.ts)
    const ratio = ((ge - fleet.eastMps) * he + (gn - fleet.northMps) * hn) / v
    if (ratio > 0.7 && ratio < 1.3 && diverse > 0) this.factors.observeSpeed(d.id, ratio, weightS * diverse)
    const air = v * this.factors.speed(d.id)
    this.wind.observe(d, d.ts, ge - air * he, gn - air * hn, weightS)
    return false
  }
}

/**
 * How much the fleet's headings differ lately: 1 − the length of the mean of
 * their unit vectors (0 when all fly one way; near 1 when they fly every
 * way, or as many one way as back), over an exponential memory.
 */
class HeadingSpread {
  private w = 0
  private e = 0
  private n = 0
  private t = -Infinity

  constructor(private readonly tauMs: number) {}

  add(t: number, e: number, n: number, weight: number): void {
    if (t > this.t) {
      const k = this.t === -Infinity ? 0 : Math.exp(-(t - this.t) / this.tauMs)
      this.w *= k
      this.e *= k
      this.n *= k
      this.t = t
    }
    this.w += weight
    this.e += weight * e
    this.n += weight * n
  }

  save(): [number, number, number, number | null] {
    return [this.w, this.e, this.n, finite(this.t)]
  }

  load([w, e, n, t]: readonly [number, number, number, number | null]): void {
    this.w = w
    this.e = e
    this.n = n
    this.t = t ?? -Infinity
  }

  get diversity(): number {
    return this.w > 0 ? 1 - Math.hypot(this.e, this.n) / this.w : 0
  }
}

/** JSON has no -Infinity ("never"): null stands for it. */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null
}
