import type { LoadPhase } from './LoadPlan.js'

/**
 * What is sent before the measured phases: a ramp from 0 to the first rate
 * over `warmupS`, then that rate held until every drone has reported once.
 * A drone's first sample costs more than its next ones (the engine meets
 * it, and requests waiting for a drone are tried again), so a measurement
 * that starts before the whole fleet has reported (10,000 drones at
 * 1,000/s take 10 s) measures a start-up storm, not the steady state. A
 * warm-up of 0 measures the cold start, as asked.
 */
export function warmupPhases(firstRate: number, warmupS: number, drones: number): LoadPhase[] {
  if (warmupS <= 0) return []
  const ramp: LoadPhase = { rate: 0, to: firstRate, durationS: warmupS }
  const left = drones - (firstRate * warmupS) / 2
  return left > 0 && firstRate > 0 ? [ramp, { rate: firstRate, durationS: Math.ceil(left / firstRate) }] : [ramp]
}
