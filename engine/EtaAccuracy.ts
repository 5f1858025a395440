import type { Eta } from '../protocol/eta.js'
import { ETA_ERROR_BUCKETS_S, type EtaErrorStats } from '../protocol/views.js'

export { ETA_ERROR_BUCKETS_S }

/**
 * How good the promised ETAs were: for each completed delivery, the ETA given
 * at assignment against the actual release. Late is positive.
 */
export class EtaAccuracy {
  private count = 0
  private sumS = 0
  private sumAbsS = 0
  private within = 0
  private readonly le = new Array<number>(ETA_ERROR_BUCKETS_S.length).fill(0)

  record(promised: Eta, actual: number): void {
    const errS = (actual - promised.at) / 1000
    const abs = Math.abs(errS)
    this.count++
    this.sumS += errS
    this.sumAbsS += abs
    if (actual >= promised.p10 && actual <= promised.p90) this.within++
    ETA_ERROR_BUCKETS_S.forEach((b, i) => {
      if (abs <= b) this.le[i]!++
    })
  }

  stats(): EtaErrorStats {
    return {
      count: this.count,
      sumS: this.sumS,
      sumAbsS: this.sumAbsS,
      withinWindow: this.within,
      buckets: ETA_ERROR_BUCKETS_S.map((le, i) => ({ le, count: this.le[i]! })),
    }
  }
}
