import { DronefleetError, ErrorCodes } from '../protocol/errors.js'

/** A stretch of constant or linearly ramping load, in messages (positions) per second. */
export interface LoadPhase {
  durationS: number
  rate: number
  /** Ramp linearly from `rate` to `to` over the phase. */
  to?: number
}

/**
 * An open-model load plan: message k is *intended* to go at timeOf(k)
 * whatever happened to earlier messages, so latency is measured from the
 * intended time and a stalled system cannot hide its stall (no coordinated
 * omission). Closed forms, no per-message state.
 */
export class LoadPlan {
  readonly phases: readonly LoadPhase[]
  readonly durationS: number
  readonly total: number
  private readonly starts: number[] = []
  private readonly counts: number[] = []

  constructor(phases: readonly LoadPhase[]) {
    if (phases.length === 0) throw new DronefleetError(ErrorCodes.FLAG_INVALID, 'a load plan needs at least one phase')
    phases.forEach((p, i) => {
      for (const [k, v] of [
        ['durationS', p.durationS],
        ['rate', p.rate],
        ['to', p.to ?? p.rate],
      ] as const) {
        if (!Number.isFinite(v) || v < 0 || (k === 'durationS' && v === 0)) {
          throw new DronefleetError(
            ErrorCodes.FLAG_INVALID,
            `phase ${i + 1}: ${k} must be a number ${k === 'durationS' ? '> 0' : '≥ 0'}, got ${v}`,
            `phases[${i}].${k}`,
            v,
          )
        }
      }
    })
    this.phases = phases
    let t = 0
    let n = 0
    for (const p of phases) {
      this.starts.push(t)
      this.counts.push(n)
      t += p.durationS
      n += (p.durationS * (p.rate + (p.to ?? p.rate))) / 2
    }
    this.durationS = t
    this.total = Math.floor(n + 1e-9)
  }

  /** How many messages are intended at or before t (s since the start): message 0 goes at 0. */
  countBy(t: number): number {
    if (t < 0) return 0
    if (t >= this.durationS) return this.total
    const i = this.phaseAt(t)
    const p = this.phases[i] as LoadPhase
    const dt = t - (this.starts[i] as number)
    const slope = ((p.to ?? p.rate) - p.rate) / p.durationS
    return Math.min(this.total, Math.floor((this.counts[i] as number) + p.rate * dt + (slope * dt * dt) / 2 + 1e-6) + 1)
  }

  /** Intended send time of message k (0-based), s since the start. */
  timeOf(k: number): number {
    let i = this.phases.length - 1
    while (i > 0 && (this.counts[i] as number) > k) i--
    const p = this.phases[i] as LoadPhase
    const m = k - (this.counts[i] as number)
    const slope = ((p.to ?? p.rate) - p.rate) / p.durationS
    // Solve rate·dt + slope·dt²/2 = m for dt.
    const dt = Math.abs(slope) < 1e-12 ? m / p.rate : (-p.rate + Math.sqrt(p.rate * p.rate + 2 * slope * m)) / slope
    return (this.starts[i] as number) + Math.min(p.durationS, Math.max(0, dt))
  }

  private phaseAt(t: number): number {
    let i = this.phases.length - 1
    while (i > 0 && (this.starts[i] as number) > t) i--
    return i
  }
}

/**
 * Parses "--phases" text: comma-separated `RATE@SECONDS` (constant) or
 * `FROM->TO@SECONDS` (ramp), e.g. "1000->50000@10,50000@30".
 */
export function parsePhases(text: string): LoadPhase[] {
  return text.split(',').map((part, i) => {
    const m = part.trim().match(/^(\d+(?:\.\d+)?)(?:->(\d+(?:\.\d+)?))?@(\d+(?:\.\d+)?)s?$/)
    if (!m) {
      throw new DronefleetError(
        ErrorCodes.FLAG_INVALID,
        `--phases: phase ${i + 1} "${part}" must be RATE@SECONDS or FROM->TO@SECONDS`,
        '--phases',
        part,
      )
    }
    const phase: LoadPhase = { rate: Number(m[1]), durationS: Number(m[3]) }
    if (m[2] !== undefined) phase.to = Number(m[2])
    return phase
  })
}
