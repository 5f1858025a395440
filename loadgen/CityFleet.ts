import { BatchWriter, stateCode } from '../protocol/batchCodec.js'
import type { LatLon } from '../protocol/geo.js'
import type { DroneState } from '../protocol/telemetry.js'

/**
 * A fleet for looking at, not for load: `drones` drones on a square grid
 * over a city (200 m apart, around `center`), each flying a small circle
 * (60 m) so that it moves from one report to the next and never overlaps its
 * neighbours, in a fixed mix of states (drone i's state depends on i only).
 * The operator map's test and benchmark publish it as one batch frame a
 * second. Pure: the frame for time `t` depends on `t` alone.
 */
export class CityFleet {
  static readonly SPACING_M = 200
  static readonly CIRCLE_M = 60
  /** The mix, one in 20 each: 9 cruising, 3 idle, 2 charging, 2 returning, one each of hovering, landing, taking off and failed. */
  static readonly MIX: readonly DroneState[] = [
    'cruise',
    'idle',
    'cruise',
    'charging',
    'cruise',
    'returning',
    'cruise',
    'idle',
    'cruise',
    'hover',
    'cruise',
    'landing',
    'cruise',
    'takeoff',
    'cruise',
    'charging',
    'idle',
    'returning',
    'failed',
    'cruise',
  ]
  private readonly writer: BatchWriter
  private readonly side: number
  private seq = 0

  constructor(
    readonly drones: number,
    readonly center: LatLon = { lat: 47.61, lon: -122.33 },
  ) {
    this.side = Math.ceil(Math.sqrt(drones))
    this.writer = new BatchWriter(drones)
  }

  /** Drone i's state: the mix, scattered over the grid by a multiplicative hash (i mod 20 would paint columns). */
  static stateOf(drone: number): DroneState {
    return CityFleet.MIX[(Math.imul(drone, 0x9e3779b1) >>> 0) % CityFleet.MIX.length] as DroneState
  }

  /** Where drone `drone` is at `t` (ms): its grid point plus its place on its circle. */
  positionAt(drone: number, t: number): LatLon {
    const mPerDegLat = 111_320
    const mPerDegLon = mPerDegLat * Math.cos((this.center.lat * Math.PI) / 180)
    const half = (this.side - 1) / 2
    const gx = ((drone % this.side) - half) * CityFleet.SPACING_M
    const gy = (Math.floor(drone / this.side) - half) * CityFleet.SPACING_M
    // A turn every two minutes, each drone at its own phase; still drones stay still.
    const moving = CityFleet.stateOf(drone) !== 'idle' && CityFleet.stateOf(drone) !== 'charging'
    const a = moving ? (t / 120_000) * 2 * Math.PI + drone : drone
    return {
      lat: this.center.lat + (gy + CityFleet.CIRCLE_M * Math.sin(a)) / mPerDegLat,
      lon: this.center.lon + (gx + CityFleet.CIRCLE_M * Math.cos(a)) / mPerDegLon,
    }
  }

  /** One batch frame of the drones numbered in `which` (default all) at `t`; a view of a reused buffer. */
  frame(t: number, which?: (drone: number) => boolean): Buffer {
    const w = this.writer
    w.reset()
    this.seq++
    for (let i = 0; i < this.drones; i++) {
      if (which && !which(i)) continue
      const p = this.positionAt(i, t)
      const state = CityFleet.stateOf(i)
      const flying = state !== 'idle' && state !== 'charging' && state !== 'failed'
      w.push(
        i,
        this.seq,
        t,
        p.lat,
        p.lon,
        flying ? 80 : 0,
        flying ? 12 : 0,
        ((((t / 120_000) * 360 + i * 57.3) % 360) + 450) % 360,
        0.3 + (i % 70) / 100,
        stateCode(state),
      )
    }
    return w.finish()
  }
}
