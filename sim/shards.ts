/**
 * Telemetry shards: fixed blocks of drones by index. Each tick the simulator
 * publishes one binary batch frame per shard on its region's
 * `telemetry-batch/{shard}`.
 *
 * In a world of one region a shard is drones [k·SHARD_DRONES,
 * (k+1)·SHARD_DRONES). With regions, each run of consecutive drones of one
 * region (depots are listed in order, and so are their drones) is cut into
 * such blocks, so a frame never mixes regions; shards are numbered across
 * the whole fleet. Either way they are the same whatever the number of
 * workers (and whichever regions a simulator flies), so the frames (and
 * with them the engine's input, byte for byte) are the same for any
 * `--workers`: that keeps runs repeatable. Workers are handed whole shards,
 * so a frame is never split between two of them.
 */

/**
 * Drones per shard. 1000 records make a 48 kB frame: big enough that the
 * per-message cost of MQTT (and of the engine's dispatch on topic) is spread
 * thin, small enough that a 10,000-drone fleet still splits into ten pieces
 * to share among workers, and that rebuilding one shard's frame for a fault
 * touches few records.
 */
export const SHARD_DRONES = 1000

/** Splits [0, n) into `parts` contiguous ranges of near-equal size (at least one range). */
export function sliceRanges(n: number, parts: number): Array<[number, number]> {
  const k = Math.max(1, Math.min(parts, n))
  const out: Array<[number, number]> = []
  for (let p = 0; p < k; p++) out.push([Math.floor((p * n) / k), Math.floor(((p + 1) * n) / k)])
  return out
}

/** How many shards n drones make. */
export function shardCount(n: number, shardDrones: number = SHARD_DRONES): number {
  return Math.ceil(n / shardDrones)
}

/** The shard drone i belongs to. */
export function shardOf(i: number, shardDrones: number = SHARD_DRONES): number {
  return Math.floor(i / shardDrones)
}

/** Drones [from, to) of shard k in a fleet of n. */
export function shardRange(k: number, n: number, shardDrones: number = SHARD_DRONES): [number, number] {
  return [Math.min(n, k * shardDrones), Math.min(n, (k + 1) * shardDrones)]
}

/**
 * Splits [0, n) into at most `parts` contiguous ranges of whole shards, as
 * near-equal in shards as they can be: the slices handed to the workers.
 * Fewer shards than parts gives one slice per shard; no drones gives one empty slice.
 */
export function shardSlices(n: number, parts: number, shardDrones: number = SHARD_DRONES): Array<[number, number]> {
  return sliceRanges(shardCount(n, shardDrones), parts).map(([a, b]) => [Math.min(n, a * shardDrones), Math.min(n, b * shardDrones)])
}

/** One shard: drones [from, to) of one region, published on that region's `telemetry-batch/{id}`. */
export interface Shard {
  id: number
  region: string
  from: number
  to: number
}

/** A run of consecutive drones of one region. */
export interface RegionRun {
  region: string
  from: number
  to: number
}

/** The shards of a fleet laid out as `runs` (in drone order): each run cut into blocks of `shardDrones`, numbered in order. */
export function fleetShards(runs: readonly RegionRun[], shardDrones: number = SHARD_DRONES): Shard[] {
  const out: Shard[] = []
  for (const run of runs) {
    for (let from = run.from; from < run.to; from += shardDrones)
      out.push({ id: out.length, region: run.region, from, to: Math.min(run.to, from + shardDrones) })
  }
  return out
}

/**
 * Splits shards (in order) into at most `parts` contiguous groups, as near-equal
 * in shards as they can be: the workers' slices. No shards gives one empty group.
 */
export function shardGroups<S>(shards: readonly S[], parts: number): S[][] {
  return sliceRanges(shards.length, parts).map(([a, b]) => shards.slice(a, b))
}
