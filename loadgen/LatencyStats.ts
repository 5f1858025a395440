import * as hdr from 'hdr-histogram-js'

export interface LatencySummary {
  count: number
  /** Milliseconds, as every figure below. */
  mean: number
  p50: number
  p90: number
  p95: number
  p99: number
  'p99.9': number
  max: number
}

/**
 * Latencies in an HDR histogram (µs resolution, 3 significant digits, up to
 * an hour) and arrivals per whole second since the start.
 */
export class LatencyStats {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 })
  private readonly perSecond: number[] = []
  private readonly maxPerSecond: number[] = []

  /** One arrival at `atS` seconds since the start, `latencyMs` after its intended send time. */
  record(atS: number, latencyMs: number): void {
    this.h.recordValue(Math.max(1, Math.round(latencyMs * 1000)))
    const sec = Math.max(0, Math.floor(atS))
    while (this.perSecond.length <= sec) {
      this.perSecond.push(0)
      this.maxPerSecond.push(0)
    }
    this.perSecond[sec] = (this.perSecond[sec] as number) + 1
    if (latencyMs > (this.maxPerSecond[sec] as number)) this.maxPerSecond[sec] = latencyMs
  }

  /** The highest latency of each second's arrivals, ms: where in the run the tail was. */
  maxSeries(): number[] {
    return this.maxPerSecond.map((ms) => Math.round(ms * 1000) / 1000)
  }

  get count(): number {
    return this.h.totalCount
  }

  /** Arrivals in each second of the run. */
  series(): number[] {
    return [...this.perSecond]
  }

  summary(): LatencySummary {
    const ms = (us: number): number => Math.round(us) / 1000
    return {
      count: this.h.totalCount,
      mean: ms(this.h.mean),
      p50: ms(this.h.getValueAtPercentile(50)),
      p90: ms(this.h.getValueAtPercentile(90)),
      p95: ms(this.h.getValueAtPercentile(95)),
      p99: ms(this.h.getValueAtPercentile(99)),
      'p99.9': ms(this.h.getValueAtPercentile(99.9)),
      max: ms(this.h.maxValue),
    }
  }
}
