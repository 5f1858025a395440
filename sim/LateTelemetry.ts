import { Fate } from './FaultTimeline.js'
import type { TelemetryFaults } from './FramePublisher.js'
import { createRng } from './random.js'
import type { World } from './scenario/Scenario.js'

/**
 * The world's telemetry delay on top of the scenario's faults: every sample
 * the faults let through goes out `delay` late, plus up to `jitter` more
 * drawn from the `delay` stream per (drone, sample), so it repeats for any
 * worker count. A fault's longer delay wins; a dropped sample stays dropped.
 */
export class LateTelemetry implements TelemetryFaults {
  constructor(
    private readonly faults: TelemetryFaults,
    private readonly late: World['telemetry'],
    private readonly seed: number,
  ) {}

  get count(): number {
    return this.faults.count + 1
  }

  telemetryFate(i: number, seq: number): number {
    const fate = this.faults.count > 0 ? this.faults.telemetryFate(i, seq) : Fate.Send
    if (fate === Fate.Drop) return fate
    const jitter = this.late.jitterS > 0 ? this.late.jitterS * createRng(this.seed, 'delay', `${i}:${seq}`)() : 0
    return Math.max(fate, Math.round((this.late.delayS + jitter) * 1000))
  }

  notSent(): void {
    this.faults.notSent()
  }
}
