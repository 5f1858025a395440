export interface DroneFactorsOptions {
  /** Seconds of observation the nominal airspeed (factor 1) is worth. Default 120. */
  priorSpeedS?: number
  /**
   * Wh of modelled energy the nominal consumption (factor 1, or the fleet's
   * high factor for a drone not yet seen) is worth. Default 5: a drone's
   * own battery outweighs it within its first minutes of flight. 30 was
   * measured against it (eta-accuracy bench, both scenarios, forecast error
   * ×1 and ×2, seeds 1-3 and their own): refusals 2 against 3, deliveries
   * completed in gusty-city 1284 against 1288, ETA error and coverage
   * within the runs' noise; nothing to justify the slower learning.
   */
  priorEnergyWh?: number
  /** Energy observations fade over this many Wh of modelled energy, so a battery that ages is followed. Default 2000. */
  energyMemoryWh?: number
}

/**
 * How far below its learned airspeed a drone is planned to be when its
 * energy is judged: the one-sided 90 % bound (z of the normal's 90th
 * percentile) of what is known of it.
 */
const Z90 = 1.2816
/** How much drones' airspeeds are taken to differ (sd of the factor) until the fleet shows its own: a few per cent. */
const PRIOR_SPEED_SPREAD = 0.05

/** Each refusal adds this much to the energy a drone is planned with, up to MAX_CAUTION. */
const CAUTION_STEP = 1.03
const MAX_CAUTION = 1.3

/** What an energy observation was drawn by: cruising, or hovering (takeoff, landing, handling). */
export type PowerMode = 'cruise' | 'hover'

interface Energy {
  /** Σ drawn, Σ modelled (Wh), fading. */
  drawnWh: number
  modelWh: number
}

interface Factors {
  /** Airspeed: Σ weight × (observed / nominal), Σ weight. */
  speedSum: number
  speedW: number
  energy: Record<PowerMode, Energy>
  /** Extra energy the engine allows for, after the drone refused plans it thought it could fly. */
  caution: number
}

/** What DroneFactors has learned, as JSON: see LearnedState.ts. */
export interface FactorsState {
  /** Each drone: [id, speedSum, speedW, cruise drawnWh, cruise modelWh, hover drawnWh, hover modelWh, caution]. */
  drones: Array<[string, ...number[]]>
  /** The fleet's high factors as last computed: [value, at (null: never)]. */
  high: Record<PowerMode, [number, number | null]>
  /** The fleet's spread of speed factors as last computed: [value, at (null: never)]; absent in states saved before it was kept. */
  speedSpread?: [number, number | null]
  observations: number
}

/**
 * Each drone's own figures against the profile, learned from its telemetry:
 * a speed factor (its airspeed over the nominal) and energy factors, in
 * cruise and in hover (the battery it really draws over what the engine's
 * model says: a faster drone burns more in cruise, a battery that holds
 * less than the profile's, or less as it ages, drains faster in both).
 * All start at 1 and move as evidence comes in. Pure.
 */
export class DroneFactors {
  private readonly priorSpeedS: number
  private readonly priorEnergyWh: number
  private readonly memoryWh: number
  private readonly byDrone = new Map<string, Factors>()
  private readonly high: Record<PowerMode, { value: number; at: number }> = {
    cruise: { value: 1, at: -Infinity },
    hover: { value: 1, at: -Infinity },
  }
  private readonly spread = { value: PRIOR_SPEED_SPREAD, at: -Infinity }
  /** Energy observations so far: the fleet's high factor is recomputed once per fleet's worth of them. */
  private observations = 0

  constructor(o: DroneFactorsOptions = {}) {
    this.priorSpeedS = o.priorSpeedS ?? 120
    this.priorEnergyWh = o.priorEnergyWh ?? 5
    this.memoryWh = o.energyMemoryWh ?? 2000
  }

  /** speed() and energy() in both modes, of one drone looked up once (plans ask for all three on every sample); valid until the next call. */
  private readonly scratch = { speed: 1, hover: 1, cruise: 1 }

  /** Airspeed over the nominal: 1 until observed. */
  speed(id: string): number {
    return this.speedOf(this.byDrone.get(id))
  }

  /** speed(id), energy(id, 'hover') and energy(id, 'cruise'), in an object reused by the next call. */
  all(id: string): Readonly<{ speed: number; hover: number; cruise: number }> {
    const f = this.byDrone.get(id)
    this.scratch.speed = this.speedOf(f)
    this.scratch.hover = this.energyOf(f, 'hover')
    this.scratch.cruise = this.energyOf(f, 'cruise')
    return this.scratch
  }

  private speedOf(f: Factors | undefined): number {
    return f ? (f.speedSum + this.priorSpeedS) / (f.speedW + this.priorSpeedS) : 1
  }

  /**
   * The airspeed factor the drone is at least, in nine cases out of ten:
   * speed() less 1.28 standard deviations of what is still unknown of it.
   * speed() is a normal posterior mean whose prior (the nominal, worth
   * priorSpeedS seconds) has the fleet's spread σ, so its uncertainty is
   * σ·√(prior / (prior + seconds observed)): a drone barely seen may be as
   * slow as the slowest, one seen for an hour is known to a percent or so.
   * What its energy is judged with: in a strong headwind a few per cent
   * of airspeed are tens of per cent of ground speed, so of energy.
   */
  speedLow(id: string): number {
    const f = this.byDrone.get(id)
    const w = f ? f.speedW : 0
    return this.speedOf(f) - Z90 * this.speedSpread() * Math.sqrt(this.priorSpeedS / (this.priorSpeedS + w))
  }

  /**
   * Battery drawn over the model's energy in this mode. Before a drone has
   * shown its own, it is taken to be as hungry as the hungriest tenth of the
   * drones that have (1 while none has): a battery the engine knows nothing
   * about is not assumed to be a good one.
   */
  energy(id: string, mode: PowerMode): number {
    return this.energyOf(this.byDrone.get(id), mode)
  }

  private energyOf(f: Factors | undefined, mode: PowerMode): number {
    const prior = this.fleetHigh(mode)
    if (!f) return prior
    const e = f.energy[mode]
    return ((e.drawnWh + this.priorEnergyWh * prior) / (e.modelWh + this.priorEnergyWh)) * f.caution
  }

  /** The drone refused a plan the engine thought it could fly: the engine was short on its energy, so it allows a little more from now on. */
  refused(id: string): void {
    const f = this.of(id)
    f.caution = Math.min(MAX_CAUTION, f.caution * CAUTION_STEP)
  }

  /** One observation of the drone's airspeed over the nominal, worth `weightS` seconds. */
  observeSpeed(id: string, ratio: number, weightS: number): void {
    const f = this.of(id)
    f.speedSum += ratio * weightS
    f.speedW += weightS
  }

  /** Over one interval in this mode the battery gave `drawnWh` where the model says `modelWh`. */
  observeEnergy(id: string, mode: PowerMode, drawnWh: number, modelWh: number): void {
    const e = this.of(id).energy[mode]
    this.observations++
    const k = Math.exp(-modelWh / this.memoryWh)
    e.drawnWh = e.drawnWh * k + drawnWh
    e.modelWh = e.modelWh * k + modelWh
  }

  /** What it has learned, as JSON. */
  save(): FactorsState {
    const drones: FactorsState['drones'] = []
    for (const [id, f] of this.byDrone) {
      const { cruise, hover } = f.energy
      drones.push([id, f.speedSum, f.speedW, cruise.drawnWh, cruise.modelWh, hover.drawnWh, hover.modelWh, f.caution])
    }
    const at = (v: number): number | null => (Number.isFinite(v) ? v : null)
    return {
      drones,
      high: { cruise: [this.high.cruise.value, at(this.high.cruise.at)], hover: [this.high.hover.value, at(this.high.hover.at)] },
      speedSpread: [this.spread.value, at(this.spread.at)],
      observations: this.observations,
    }
  }

  /** Takes back what save() gave (checked by readLearnedState). */
  load(s: FactorsState): void {
    this.byDrone.clear()
    for (const [id, speedSum, speedW, cd, cm, hd, hm, caution] of s.drones) {
      this.byDrone.set(id, {
        speedSum: speedSum!,
        speedW: speedW!,
        energy: { cruise: { drawnWh: cd!, modelWh: cm! }, hover: { drawnWh: hd!, modelWh: hm! } },
        caution: caution!,
      })
    }
    for (const mode of ['cruise', 'hover'] as const) {
      const [value, at] = s.high[mode]
      this.high[mode] = { value, at: at ?? -Infinity }
    }
    const [spread, at] = s.speedSpread ?? [PRIOR_SPEED_SPREAD, null]
    this.spread.value = spread
    this.spread.at = at ?? -Infinity
    this.observations = s.observations
  }

  /**
   * How much the drones' airspeed factors differ (their standard deviation
   * σ), from the drones seen for at least priorSpeedS seconds; recomputed
   * once per fleet's worth of observations. A drone's raw mean (observations
   * alone) is σ² apart from the fleet's in variance, plus its noise, which
   * the prior's weight puts at σ²·prior / seconds: so σ² is their mean
   * squared spread over the mean of 1 + prior / seconds. PRIOR_SPEED_SPREAD
   * until three drones have been seen that long.
   */
  private speedSpread(): number {
    const cached = this.spread
    if (this.observations - cached.at < Math.max(100, this.byDrone.size)) return cached.value
    cached.at = this.observations
    const raw: number[] = []
    let inflation = 0
    for (const f of this.byDrone.values()) {
      if (f.speedW < this.priorSpeedS) continue
      raw.push(f.speedSum / f.speedW)
      inflation += 1 + this.priorSpeedS / f.speedW
    }
    if (raw.length < 3) return cached.value
    const mean = raw.reduce((a, b) => a + b, 0) / raw.length
    const ss = raw.reduce((a, b) => a + (b - mean) ** 2, 0)
    cached.value = Math.sqrt(ss / (raw.length - 1) / (inflation / raw.length))
    return cached.value
  }

  /** The 90th percentile of the energy factors of drones with some evidence (at least 50 Wh modelled), or 1; recomputed once per fleet's worth of observations. */
  private fleetHigh(mode: PowerMode): number {
    const cached = this.high[mode]
    if (this.observations - cached.at < Math.max(100, this.byDrone.size)) return cached.value
    const known: number[] = []
    for (const f of this.byDrone.values()) {
      const e = f.energy[mode]
      if (e.modelWh >= 50) known.push(e.drawnWh / e.modelWh)
    }
    known.sort((a, b) => a - b)
    cached.value = known.length >= 3 ? Math.max(1, known[Math.floor(0.9 * (known.length - 1))]!) : 1
    cached.at = this.observations
    return cached.value
  }

  private of(id: string): Factors {
    let f = this.byDrone.get(id)
    if (!f)
      this.byDrone.set(
        id,
        (f = { speedSum: 0, speedW: 0, energy: { cruise: { drawnWh: 0, modelWh: 0 }, hover: { drawnWh: 0, modelWh: 0 } }, caution: 1 }),
      )
    return f
  }
}
