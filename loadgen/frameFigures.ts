/** Percentiles of the operator map's timings, ms. */
export interface Percentiles {
  count: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** What the operator map keeps of its frames (`window.operatorMap.stats()`). */
export interface MapStats {
  /** Time to draw one animation frame, ms. */
  draws: number[]
  /** Time between two animation frames while it animates, ms (16.7 at 60 Hz). */
  gaps: number[]
  /** Time to take in one fleet message, JSON parse included, ms. */
  ingest: number[]
  frames: number
  fleetFrames: number
  drones: number
}

export interface FrameFigures {
  drones: number
  frames: number
  fleetFrames: number
  drawMs: Percentiles
  frameIntervalMs: Percentiles
  ingestMs: Percentiles
}

export function percentiles(values: readonly number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b)
  const at = (q: number): number => (s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) : Number.NaN)
  const r = (v: number): number => Math.round(v * 100) / 100
  return { count: s.length, p50: r(at(0.5)), p95: r(at(0.95)), p99: r(at(0.99)), max: r(s.length ? (s.at(-1) as number) : Number.NaN) }
}

export function frameFigures(s: MapStats): FrameFigures {
  return {
    drones: s.drones,
    frames: s.frames,
    fleetFrames: s.fleetFrames,
    drawMs: percentiles(s.draws),
    frameIntervalMs: percentiles(s.gaps),
    ingestMs: percentiles(s.ingest),
  }
}

/** One line for a report: "10000 drones: draw p50 2.1 ms, p95 3.4 ms, …". */
export function describeFrames(f: FrameFigures): string {
  return (
    `${f.drones} drones, ${f.frames} frames over ${f.fleetFrames} fleet messages: draw p50 ${f.drawMs.p50} ms, p95 ${f.drawMs.p95} ms, ` +
    `p99 ${f.drawMs.p99} ms, max ${f.drawMs.max} ms; frame interval p50 ${f.frameIntervalMs.p50} ms, p95 ${f.frameIntervalMs.p95} ms; ` +
    `fleet message ingest p50 ${f.ingestMs.p50} ms, p95 ${f.ingestMs.p95} ms`
  )
}
