/**
 * Wind as a vector and the wind triangle: the ground speed and heading a
 * drone flying at a fixed airspeed gets on a given course. Pure arithmetic on
 * a flat local frame, which is exact enough over a city-sized leg.
 */
export interface Wind {
  /** Wind speed, m/s. */
  speedMps: number
  /** Direction the wind blows from, degrees clockwise from north (meteorological, as forecasts give it). */
  fromDeg: number
}

export const CALM: Readonly<Wind> = Object.freeze({ speedMps: 0, fromDeg: 0 })

export interface LegWind {
  /** Speed over the ground along the course, m/s. */
  groundSpeedMps: number
  /** Where the nose points (course corrected for drift), degrees 0..360. */
  headingDeg: number
  /** Wind across the course, m/s (positive from the left). */
  crosswindMps: number
  /** Wind along the course, m/s (positive is a tailwind). */
  tailwindMps: number
}

const RAD = Math.PI / 180

/**
 * Solves the wind triangle for a course (degrees clockwise from north). Returns
 * undefined when the leg cannot be flown: the crosswind is at least the
 * airspeed, or the headwind leaves no ground speed.
 */
export function windTriangle(airspeedMps: number, wind: Wind, courseDeg: number): LegWind | undefined {
  // The wind blows towards fromDeg + 180; split it along and across the course.
  const rel = (wind.fromDeg + 180 - courseDeg) * RAD
  const tail = wind.speedMps * Math.cos(rel)
  const cross = wind.speedMps * Math.sin(rel)
  if (Math.abs(cross) >= airspeedMps) return undefined
  const along = Math.sqrt(airspeedMps * airspeedMps - cross * cross)
  const ground = along + tail
  if (ground <= 0.1) return undefined
  const heading = (((courseDeg - Math.asin(cross / airspeedMps) / RAD) % 360) + 360) % 360
  return { groundSpeedMps: ground, headingDeg: heading, crosswindMps: cross, tailwindMps: tail }
}

/** The wind as the velocity of the air, m/s toward east and north (it blows toward fromDeg + 180). */
export function windVector(wind: Wind): { eastMps: number; northMps: number } {
  const to = (wind.fromDeg + 180) * RAD
  return { eastMps: wind.speedMps * Math.sin(to), northMps: wind.speedMps * Math.cos(to) }
}
