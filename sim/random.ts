/**
 * Named, seeded random streams. A stream is derived from (seed, stream name,
 * entity), so a drone's noise does not depend on which worker steps it or on
 * how many other draws happened before.
 */
export type Rng = () => number

/** 32-bit FNV-1a over a string, for turning names into seeds. */
function fnv1a(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** sfc32: small, fast, and good enough for simulation (not for secrets). */
function sfc32(a: number, b: number, c: number, d: number): Rng {
  return () => {
    a |= 0
    b |= 0
    c |= 0
    d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}

export function createRng(seed: number, stream: string, entity: string | number = ''): Rng {
  const key = `${seed}|${stream}|${entity}`
  const rng = sfc32(fnv1a(key), fnv1a(key, 0x9e3779b9), fnv1a(key, 0x85ebca6b), fnv1a(key, 0xc2b2ae35))
  for (let i = 0; i < 12; i++) rng() // let the state mix before first use
  return rng
}

/** An exponentially distributed draw with the given mean. */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean
}
