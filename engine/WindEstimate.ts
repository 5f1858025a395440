import { lonDelta, type LatLon } from '../protocol/geo.js'
import type { WindField } from './groundSpeed.js'
import { M_PER_DEG, mPerDegLon } from './Ring.js'

export interface WindEstimateOptions {
  /** What the engine is told (a forecast); still air when absent. */
  prior?: WindField | undefined
  /** Size of the grid's cells, m. Default 1000. */
  cellM?: number
  /** How far an observation counts: the standard deviation of the spatial kernel, m. Default 1500. */
  lengthM?: number
  /** Memory of a place: observations there fade with this time constant, s. Default 90. */
  tauS?: number
  /** Memory of the fleet-wide trend, s. Default 300. */
  fleetTauS?: number
  /** Seconds of observation the prior is worth against the fleet-wide mean. Default 10 (1 without a prior). */
  priorS?: number
  /** Seconds of local observation the fleet-wide mean is worth against a place's own. Default 30. */
  fleetS?: number
}

interface Sums {
  /** Weight (seconds of observation), and weighted sums of the east and north components, decayed to `t`. */
  w: number
  e: number
  n: number
  t: number
}

interface Cell extends Sums {
  lat: number
  lon: number
}

/**
 * The fleet-wide mean as a line in time: exponentially weighted sums for a
 * least-squares fit of each component against time (s, from `t`), so a wind
 * that drifts is followed without the lag of a plain average.
 */
interface Trend extends Sums {
  /** Σ w·x, Σ w·x², Σ w·x·east, Σ w·x·north, with x the time of each observation from `t`, s. */
  x: number
  xx: number
  xe: number
  xn: number
}

/** What a WindEstimate has learned, as JSON (the prior is configuration, not learned): see LearnedState.ts. */
export interface WindState {
  cellM: number
  /** Each cell: [id, lat, lon, w, e, n, t]. */
  cells: number[][]
  /** The fleet's trend: [w, e, n, t, x, xx, xe, xn]. */
  fleet: number[]
  added: number
  windy: boolean
  /** Event time of the newest observation, null before any. */
  latest: number | null
}

/** A fleet-wide mean or a place's own this strong (m/s, over this many seconds) means the air is not still. */
const WINDY_MPS = 1
const WINDY_S = 30
const PRUNE_EVERY = 4096
/** Below this spread of observation times (s²) the fleet's trend has no slope: a line through a moment is a guess. */
const MIN_SPREAD_S2 = 100

/**
 * The wind where the drones fly, learned from them: each observation is one
 * drone's ground velocity less its air velocity at a place and event time.
 * Observations are pooled in a grid of cells whose sums fade with time, and
 * read back through a Gaussian kernel over the neighbouring cells; a place
 * with few observations leans on the fleet-wide mean, and that, before there
 * is any, on the prior (the forecast). Pure: time is what it is given.
 */
export class WindEstimate {
  private readonly prior: WindField | undefined
  private readonly cellM: number
  private readonly twoL2: number
  private readonly tauMs: number
  private readonly fleetTauMs: number
  private readonly priorS: number
  private readonly fleetS: number
  private readonly cells = new Map<number, Cell>()
  private readonly fleet: Trend = { w: 0, e: 0, n: 0, t: 0, x: 0, xx: 0, xe: 0, xn: 0 }
  private added = 0
  private windy: boolean
  /** Event time of the newest observation. */
  private latest = -Infinity

  constructor(o: WindEstimateOptions = {}) {
    this.prior = o.prior
    this.cellM = o.cellM ?? 1000
    const l = o.lengthM ?? 1500
    this.twoL2 = 2 * l * l
    this.tauMs = (o.tauS ?? 90) * 1000
    this.fleetTauMs = (o.fleetTauS ?? 300) * 1000
    // Without a forecast the prior is only "no idea yet": it gives way to the first observations.
    this.priorS = o.priorS ?? (o.prior ? 10 : 1)
    this.fleetS = o.fleetS ?? 30
    this.windy = o.prior !== undefined
  }

  /**
   * Whether any wind is known: a prior, or observations that show one.
   * While not, planners may take their still-air paths.
   */
  get known(): boolean {
    return this.windy
  }

  /** Observations held now (cells with some weight left). */
  get cellCount(): number {
    return this.cells.size
  }

  /** Adds a wind observation (m/s toward east and north) at a place and event time, worth `weightS` seconds. */
  observe(p: LatLon, t: number, eastMps: number, northMps: number, weightS: number): void {
    // Places keep how far their wind is from the fleet's: the drift of the whole air mass is the fleet's to follow.
    const base = this.fleetMean(p, t)
    const key = this.key(p.lat, p.lon)
    let c = this.cells.get(key.id)
    if (!c) this.cells.set(key.id, (c = { lat: key.lat, lon: key.lon, w: 0, e: 0, n: 0, t }))
    add(c, t, eastMps - base.eastMps, northMps - base.northMps, weightS, this.tauMs)
    addTrend(this.fleet, t, eastMps, northMps, weightS, this.fleetTauMs)
    if (t > this.latest) this.latest = t
    if (!this.windy) {
      const mean = this.fleetMean(p, t)
      const strong = this.fleet.w >= WINDY_S && Math.hypot(mean.eastMps, mean.northMps) >= WINDY_MPS
      const local = c.w >= WINDY_S && Math.hypot(c.e, c.n) / c.w >= WINDY_MPS
      this.windy = strong || local
    }
    if (++this.added % PRUNE_EVERY === 0) this.prune(t)
  }

  /**
   * The fleet-wide mean at event time t: the observations' trend line there,
   * leaning on the prior (the forecast) where there are few.
   */
  fleetMean(p: LatLon, t: number): { eastMps: number; northMps: number } {
    const prior = this.prior?.(p, t) ?? { eastMps: 0, northMps: 0 }
    const f = this.fleet
    // Ahead of the newest observation the fleet's wind persists for a memory's length before it fades back to the prior.
    const k = decay(f, t - this.fleetTauMs, this.fleetTauMs)
    const w = f.w * k
    if (w === 0) return prior
    // The fit at t: mean + slope × (t − mean time), the slope only where the times spread enough to give one,
    // and followed no further ahead than the memory it was fitted over.
    const x0 = (Math.min(t, f.t + this.fleetTauMs) - f.t) / 1000
    const mx = f.x / f.w
    const vx = f.xx / f.w - mx * mx
    const at = (sy: number, sxy: number): number => {
      const my = sy / f.w
      const slope = vx > MIN_SPREAD_S2 ? (sxy / f.w - mx * my) / vx : 0
      return my + slope * (x0 - mx)
    }
    const e = at(f.e, f.xe)
    const n = at(f.n, f.xn)
    return {
      eastMps: (w * e + this.priorS * prior.eastMps) / (w + this.priorS),
      northMps: (w * n + this.priorS * prior.northMps) / (w + this.priorS),
    }
  }

  /**
   * The wind at a place and event time: the fleet's, and how the observations
   * nearby differ from it; asked about a later time, those differences have
   * faded as much as they would by then (a gust does not last).
   */
  at(p: LatLon, t: number): { eastMps: number; northMps: number } {
    const base = this.fleetMean(p, t)
    if (this.cells.size === 0) return base
    let w = this.fleetS
    let e = 0
    let n = 0
    const row = Math.floor((p.lat * M_PER_DEG) / this.cellM)
    for (let dy = -1; dy <= 1; dy++) {
      const cy = row + dy
      const cols = this.cols(cy)
      const cx0 = this.col(p.lon, cols)
      // Near a pole a row may hold fewer than three cells: each is visited once.
      const span = Math.min(1, Math.floor((cols - 1) / 2))
      for (let dx = -span; dx <= span; dx++) {
        const c = this.cells.get(cellId(cy, (cx0 + dx + cols) % cols))
        if (!c) continue
        const de = lonDelta(p.lon, c.lon) * mPerDegLon((p.lat + c.lat) / 2)
        const dn = (c.lat - p.lat) * M_PER_DEG
        const k = Math.exp(-(de * de + dn * dn) / this.twoL2) * decay(c, t, this.tauMs)
        w += k * c.w
        e += k * c.e
        n += k * c.n
      }
    }
    return { eastMps: base.eastMps + e / w, northMps: base.northMps + n / w }
  }

  /** What it has learned, as JSON. */
  save(): WindState {
    const cells: number[][] = []
    for (const [id, c] of this.cells) cells.push([id, c.lat, c.lon, c.w, c.e, c.n, c.t])
    const f = this.fleet
    return {
      cellM: this.cellM,
      cells,
      fleet: [f.w, f.e, f.n, f.t, f.x, f.xx, f.xe, f.xn],
      added: this.added,
      windy: this.windy,
      latest: Number.isFinite(this.latest) ? this.latest : null,
    }
  }

  /** Takes back what save() gave (checked by readLearnedState); cells of another grid size are left out. */
  load(s: WindState): void {
    this.cells.clear()
    if (s.cellM === this.cellM) {
      for (const [id, lat, lon, w, e, n, t] of s.cells) this.cells.set(id!, { lat: lat!, lon: lon!, w: w!, e: e!, n: n!, t: t! })
    }
    const [w, e, n, t, x, xx, xe, xn] = s.fleet
    Object.assign(this.fleet, { w, e, n, t, x, xx, xe, xn })
    this.added = s.added
    this.windy = s.windy || this.windy
    this.latest = s.latest ?? -Infinity
  }

  /** This estimate as a WindField (place, time) → wind, for planners. */
  readonly field: WindField = (p, t) => this.at(p, t)

  /** The fleet-wide mean as of the newest observation, for any place and time: a wind that does not count on change. */
  readonly meanNow: WindField = (p, t) => this.fleetMean(p, Math.min(t, this.latest))

  /** Drops cells whose observations have faded to nothing. */
  private prune(t: number): void {
    for (const [id, c] of this.cells) if (c.w * decay(c, t, this.tauMs) < 1e-3) this.cells.delete(id)
  }

  private cols(row: number): number {
    const lat = ((row + 0.5) * this.cellM) / M_PER_DEG
    return Math.max(1, Math.floor((360 * mPerDegLon(Math.max(-89.9, Math.min(89.9, lat)))) / this.cellM))
  }

  private col(lon: number, cols: number): number {
    return Math.min(cols - 1, Math.floor(((lon + 180) / 360) * cols))
  }

  private key(lat: number, lon: number): { id: number; lat: number; lon: number } {
    const row = Math.floor((lat * M_PER_DEG) / this.cellM)
    const cols = this.cols(row)
    const cx = this.col(lon, cols)
    return { id: cellId(row, cx), lat: ((row + 0.5) * this.cellM) / M_PER_DEG, lon: ((cx + 0.5) / cols) * 360 - 180 }
  }
}

function cellId(row: number, col: number): number {
  // Rows span ±20,000 (1 km cells from pole to pole), columns at most ~40,000.
  return (row + 50_000) * 100_000 + col
}

/** How much of `s`'s weight is left at t. */
function decay(s: Sums, t: number, tauMs: number): number {
  return t > s.t ? Math.exp(-(t - s.t) / tauMs) : 1
}

/** Adds an observation to the trend's faded sums, times counted from the newest observation. */
function addTrend(s: Trend, t: number, e: number, n: number, w: number, tauMs: number): void {
  if (t > s.t) {
    const k = Math.exp(-(t - s.t) / tauMs)
    const dx = (s.t - t) / 1000
    // Shift the origin of time to t: x → x + dx for every old observation.
    s.xe = k * (s.xe + dx * s.e)
    s.xn = k * (s.xn + dx * s.n)
    s.xx = k * (s.xx + 2 * dx * s.x + dx * dx * s.w)
    s.x = k * (s.x + dx * s.w)
    s.w *= k
    s.e *= k
    s.n *= k
    s.t = t
  } else w *= Math.exp(-(s.t - t) / tauMs)
  const x = Math.min(0, (t - s.t) / 1000)
  s.w += w
  s.e += w * e
  s.n += w * n
  s.x += w * x
  s.xx += w * x * x
  s.xe += w * x * e
  s.xn += w * x * n
}

/** Adds an observation to faded sums; a late one (before s.t) counts as faded by its lateness. */
function add(s: Sums, t: number, e: number, n: number, w: number, tauMs: number): void {
  if (t > s.t) {
    const k = Math.exp(-(t - s.t) / tauMs)
    s.w *= k
    s.e *= k
    s.n *= k
    s.t = t
  } else w *= Math.exp(-(s.t - t) / tauMs)
  s.w += w
  s.e += w * e
  s.n += w * n
}
