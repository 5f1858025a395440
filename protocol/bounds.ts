/**
 * Bounds every part agrees on (DESIGN.md §1c: every resource has a bound).
 * The engine registers at most MAX_DRONES drones unless told otherwise, so a
 * scenario may not ask for more, and one batch frame of made-up ids cannot
 * make the engine (and /v1/fleet, every second) carry millions.
 */
export const MAX_DRONES = 100_000
