import { Histogram, type MetricType, type Registry } from 'prom-client'

/** A histogram kept elsewhere, as cumulative counts per upper bound (Prometheus' own shape). */
export interface CumulativeHistogram {
  /** Cumulative: each bucket counts every value ≤ its `le`. */
  buckets: ReadonlyArray<{ le: number; count: number }>
  count: number
  sum: number
}

/**
 * A Prometheus histogram whose buckets are read at scrape time from a
 * histogram another part keeps (the engine's ETA accuracy), rather than
 * observed here: prom-client's Histogram can only observe values one by one.
 * Before anything was recorded every bucket, the sum and the count are 0, so
 * a rate over it is "no data", never a perfect 0.
 */
export class CollectedHistogram extends Histogram {
  private readonly bounds: readonly number[]

  constructor(
    private readonly o: { name: string; help: string; buckets: readonly number[]; registers: Registry[] },
    private readonly read: () => CumulativeHistogram | undefined,
  ) {
    super({ name: o.name, help: o.help, buckets: [...o.buckets], registers: o.registers })
    this.bounds = [...o.buckets].sort((a, b) => a - b)
  }

  override async get(): ReturnType<Histogram['get']> {
    return this.snapshot()
  }

  /** What the registry calls for the text format (prom-client reads it in preference to get()). */
  async getForPromString(): ReturnType<Histogram['get']> {
    return this.snapshot()
  }

  private snapshot(): Awaited<ReturnType<Histogram['get']>> {
    const h = this.read() ?? { buckets: [], count: 0, sum: 0 }
    const { name, help } = this.o
    const bucket = `${name}_bucket`
    // The bounds declared at construction, so the series keep their shape while the source has none yet.
    const counts = new Map(h.buckets.map((b) => [b.le, b.count]))
    return {
      name,
      help,
      // The text format's type line (prom-client's typings declare MetricType as a numeric enum; at run time it is this string).
      type: 'histogram' as unknown as MetricType,
      aggregator: 'sum',
      collect: () => undefined,
      values: [
        ...this.bounds.map((le) => ({ metricName: bucket, labels: { le }, value: counts.get(le) ?? 0 })),
        { metricName: bucket, labels: { le: '+Inf' }, value: h.count },
        { metricName: `${name}_sum`, labels: {}, value: h.sum },
        { metricName: `${name}_count`, labels: {}, value: h.count },
      ],
    }
  }
}
