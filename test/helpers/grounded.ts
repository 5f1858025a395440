import type { LatLon } from '../../protocol/geo.js'
import { FleetState, Phase } from '../../sim/FleetState.js'
import { DEPOT } from '../engine-harness.js'

/** A fleet of one drone standing at `at` (the test depot by default) with `battery` (0..1). */
export function grounded(battery = 1, at: LatLon = DEPOT): FleetState {
  const f = new FleetState(1)
  f.lat[0] = at.lat
  f.lon[0] = at.lon
  f.battery[0] = battery
  f.phase[0] = Phase.Ground
  return f
}
