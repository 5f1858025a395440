import { createRng, exponential } from './random.js'
import type { World } from './scenario/Scenario.js'

/**
 * How long drone i hovers at its n-th pickup or drop-off: lognormal around
 * the profile's handling time (its mean; `spread` is the coefficient of
 * variation), and at a drop-off, with chance `absent`, an exponential wait
 * for a customer who is not at the door. Drawn from the `handling` stream
 * per (drone, arrival), so it is the same whichever worker steps the drone.
 */
export function handlingTimeS(seed: number, i: number, n: number, dropoff: boolean, nominalS: number, h: World['handling']): number {
  const rng = createRng(seed, 'handling', `${i}:${n}`)
  let s = nominalS
  if (h.spread > 0 && nominalS > 0) {
    const sigma2 = Math.log(1 + h.spread * h.spread)
    // Box–Muller: one standard normal from two uniforms.
    const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
    s = nominalS * Math.exp(Math.sqrt(sigma2) * z - sigma2 / 2)
  }
  if (dropoff && h.absent > 0 && h.absentWaitS > 0 && rng() < h.absent) s += exponential(rng, h.absentWaitS)
  return s
}
