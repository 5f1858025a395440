/** What a scenario file gets for what it leaves out, and the limits its meaning is checked against. */
export const DEFAULT_START = '2026-01-05T09:00:00Z'
export const DEFAULT_TICK_S = 1
export const DEFAULT_WEIGHT_KG = { min: 0.2, max: 2 } as const
export const DEFAULT_DEADLINE_S = 45 * 60
/** Farther than this from the demand area's center, a depot is almost surely a typo. */
export const MAX_DEPOT_DISTANCE_M = 50_000
