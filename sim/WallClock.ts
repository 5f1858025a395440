/** The wall clock, injected so tests and benchmarks control pacing. */
export interface WallClock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemWall: WallClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}
