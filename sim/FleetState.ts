/**
 * All drone state as typed arrays over one SharedArrayBuffer, struct-of-arrays,
 * so any worker can step any slice and the main thread can write commands
 * between ticks without copying.
 */
export const Phase = { Ground: 0, Takeoff: 1, Cruise: 2, Landing: 3, Handling: 4, Failed: 5 } as const
/** Via: a turning point round a no-fly zone, flown through at cruise altitude (no landing). */
export const WaypointKind = { None: 0, Pickup: 1, Dropoff: 2, Depot: 3, Via: 4 } as const
/** Bits of `flags`: faults the main thread switches on, read by the step worker. */
export const Flag = { Silent: 1, GpsHold: 2 } as const

/**
 * Waypoints a mission can hold: pickup, drop-off, depot and the turning
 * points before each. The engine's routes round a zone in a few turns; 32
 * leaves room for a crowded map at 2 × 32 × 8 bytes a drone (5 MB for
 * 10,000). A longer route is refused (see refusalReason), never cut short.
 */
export const MAX_WAYPOINTS = 32

const F64_FIELDS = [
  'lat',
  'lon',
  'alt',
  'speed',
  'heading',
  'battery',
  'timer',
  'payload',
  'cargo',
  'odoM',
  'usedWh',
  'busyS',
  'missionM',
  'missionWh',
  'drainExtra',
  'gpsSigmaM',
  'fixLat',
  'fixLon',
  'airspeed',
  'healthWh',
  'arrivals',
] as const
type F64Field = (typeof F64_FIELDS)[number]

export class FleetState {
  readonly n: number
  readonly buffer: SharedArrayBuffer
  readonly lat: Float64Array
  readonly lon: Float64Array
  readonly alt: Float64Array
  readonly speed: Float64Array
  readonly heading: Float64Array
  /** State of charge, 0..1. */
  readonly battery: Float64Array
  /** Seconds left in the current handling. */
  readonly timer: Float64Array
  /** kg on board now. */
  readonly payload: Float64Array
  /** kg to load at the pickup of the current mission. */
  readonly cargo: Float64Array
  /** Metres flown over the ground since the start. */
  readonly odoM: Float64Array
  /** Wh drawn from the battery since the start. */
  readonly usedWh: Float64Array
  /** Seconds spent on missions (off the ground, or handling). */
  readonly busyS: Float64Array
  /** Metres and Wh since the current mission was assigned. */
  readonly missionM: Float64Array
  readonly missionWh: Float64Array
  /** Extra drain as a fraction of normal (a faulty battery): 1 drains twice as fast. */
  readonly drainExtra: Float64Array
  /** Standard deviation of GPS noise added to reported positions, m; 0 for none. */
  readonly gpsSigmaM: Float64Array
  /** The last GPS fix reported, held while the GPS drops out. */
  readonly fixLat: Float64Array
  readonly fixLon: Float64Array
  /** This drone's own airspeed in cruise, m/s; 0 for the profile's (world.drones). */
  readonly airspeed: Float64Array
  /** What this drone's battery holds when new, Wh; 0 for the profile's. */
  readonly healthWh: Float64Array
  /** Pickups and drop-offs reached so far: numbers the handling-time draws. */
  readonly arrivals: Float64Array
  readonly wpLat: Float64Array
  readonly wpLon: Float64Array
  readonly seq: Uint32Array
  readonly wpCount: Uint8Array
  readonly wpIndex: Uint8Array
  readonly wpKind: Uint8Array
  readonly phase: Uint8Array
  readonly flags: Uint8Array

  static bytes(n: number): number {
    return n * (8 * (F64_FIELDS.length + 2 * MAX_WAYPOINTS) + 4 + 4 + MAX_WAYPOINTS)
  }

  /** Wraps an existing buffer (in a worker), or allocates one for n drones. */
  constructor(n: number, buffer?: SharedArrayBuffer) {
    this.n = n
    this.buffer = buffer ?? new SharedArrayBuffer(FleetState.bytes(n))
    let off = 0
    const f64 = (len: number): Float64Array => {
      const a = new Float64Array(this.buffer, off, len)
      off += len * 8
      return a
    }
    const views = {} as Record<F64Field, Float64Array>
    for (const f of F64_FIELDS) views[f] = f64(n)
    ;({
      lat: this.lat,
      lon: this.lon,
      alt: this.alt,
      speed: this.speed,
      heading: this.heading,
      battery: this.battery,
      timer: this.timer,
      payload: this.payload,
      cargo: this.cargo,
      odoM: this.odoM,
      usedWh: this.usedWh,
      busyS: this.busyS,
      missionM: this.missionM,
      missionWh: this.missionWh,
      drainExtra: this.drainExtra,
      gpsSigmaM: this.gpsSigmaM,
      fixLat: this.fixLat,
      fixLon: this.fixLon,
      airspeed: this.airspeed,
      healthWh: this.healthWh,
      arrivals: this.arrivals,
    } = views)
    this.wpLat = f64(n * MAX_WAYPOINTS)
    this.wpLon = f64(n * MAX_WAYPOINTS)
    this.seq = new Uint32Array(this.buffer, off, n)
    off += n * 4
    const u8 = (len: number): Uint8Array => {
      const a = new Uint8Array(this.buffer, off, len)
      off += len
      return a
    }
    this.wpCount = u8(n)
    this.wpIndex = u8(n)
    this.phase = u8(n)
    this.flags = u8(n)
    this.wpKind = u8(n * MAX_WAYPOINTS)
  }
}

/** The conventional id of drone i: d-1, d-2, … */
export function droneId(i: number): string {
  return `d-${i + 1}`
}

/** The index of a drone id, or -1 when it is not one of ours. */
export function droneIndex(id: string, n: number): number {
  if (!id.startsWith('d-')) return -1
  const i = Number(id.slice(2)) - 1
  return Number.isInteger(i) && i >= 0 && i < n ? i : -1
}
