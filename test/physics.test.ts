import t from 'tap'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { airWhPerKm, cruiseEnergyWh, DEFAULT_PROFILE, type DroneProfile } from '../protocol/profile.js'
import { assignMission, droneState, stepDrone, type Waypoint } from '../sim/flight.js'
import { type FleetState, Phase, WaypointKind } from '../sim/FleetState.js'
import { planMission, refusalReason } from '../sim/missionPlan.js'
import { CALM, windTriangle, type Wind } from '../sim/wind.js'
import { offset } from './helpers/offset.js'
import { grounded } from './helpers/grounded.js'

const p: DroneProfile = { ...DEFAULT_PROFILE }
const DEPOT: LatLon = { lat: 47.6, lon: -122.33 }

const PICKUP = offset(DEPOT, 2000, 0)
const DROPOFF = offset(PICKUP, 0, 1500)
const mission: Waypoint[] = [
  { ...PICKUP, kind: WaypointKind.Pickup },
  { ...DROPOFF, kind: WaypointKind.Dropoff },
  { ...DEPOT, kind: WaypointKind.Depot },
]

/** Flies drone 0 until it is back on the ground; returns the steps taken. */
function flyHome(f: FleetState, profile: DroneProfile, wind: Wind, max = 10_000): number {
  for (let k = 1; k <= max; k++) {
    stepDrone(f, 0, 1, profile, wind)
    const s = droneState(f, 0)
    if (s === 'idle' || s === 'charging' || s === 'failed') return k
  }
  return max
}

t.test('the wind triangle: tail, head and crosswinds', async (t) => {
  const calm = windTriangle(15, CALM, 40)!
  t.equal(calm.groundSpeedMps, 15)
  t.equal(calm.headingDeg, 40)
  // Wind from the south (180) blows north: a tailwind on a northbound course.
  t.ok(Math.abs(windTriangle(15, { speedMps: 5, fromDeg: 180 }, 0)!.groundSpeedMps - 20) < 1e-9, 'tailwind adds')
  t.ok(Math.abs(windTriangle(15, { speedMps: 5, fromDeg: 0 }, 0)!.groundSpeedMps - 10) < 1e-9, 'headwind subtracts')
  // Wind from the west at 9 m/s on a northbound course: 3-4-5, ground speed 12, nose turned west into it.
  const cross = windTriangle(15, { speedMps: 9, fromDeg: 270 }, 0)!
  t.ok(Math.abs(cross.groundSpeedMps - 12) < 1e-9, `crosswind: ${cross.groundSpeedMps}`)
  t.ok(Math.abs(cross.headingDeg - (360 - (Math.asin(9 / 15) * 180) / Math.PI)) < 1e-9, `crabs into the wind: heading ${cross.headingDeg}`)
  t.ok(Math.abs(Math.abs(cross.crosswindMps) - 9) < 1e-9)
  t.equal(windTriangle(15, { speedMps: 15, fromDeg: 270 }, 0), undefined, 'a crosswind equal to the airspeed cannot be flown')
  t.equal(windTriangle(15, { speedMps: 20, fromDeg: 90 }, 0), undefined, 'nor one above it')
  t.equal(windTriangle(15, { speedMps: 16, fromDeg: 0 }, 0), undefined, 'nor a headwind above the airspeed')
  t.ok(windTriangle(15, { speedMps: 20, fromDeg: 180 }, 0), 'a strong tailwind is fine')
})

t.test('energy: about 22 Wh/km with 0.5 kg, growing with payload and with airspeed', async (t) => {
  t.equal(cruiseEnergyWh(p, 1000, 0.5), 22)
  t.ok(cruiseEnergyWh(p, 1000, 2) > cruiseEnergyWh(p, 1000, 1))
  const fast = { ...p, cruiseSpeedMps: 20 }
  t.ok(Math.abs(airWhPerKm(fast, 0.5) - 22 * (20 / 15) ** 2) < 1e-9, 'per-km consumption grows with the square of airspeed')
  t.ok(Math.abs(cruiseEnergyWh(p, 1000, 0, 10) - 17 * 1.5) < 1e-9, 'a headwind that leaves 10 m/s of 15 costs 1.5x per ground km')
})

t.test('in a headwind the drone is slower over the ground and pays more per metre', async (t) => {
  const still = grounded()
  const windy = grounded()
  const north: Waypoint[] = [{ ...offset(DEPOT, 3000, 0), kind: WaypointKind.Depot }]
  assignMission(still, 0, north, 0, p)
  assignMission(windy, 0, north, 0, p)
  const head: Wind = { speedMps: 5, fromDeg: 0 }
  const calmSteps = flyHome(still, p, CALM)
  const windSteps = flyHome(windy, p, head)
  t.ok(windSteps > calmSteps + 90, `${windSteps} s against ${calmSteps} s`)
  const cruiseWh = (f: FleetState, steps: number): number => f.usedWh[0]! - (steps - 3000 / (f === still ? 15 : 10)) * (p.hoverW / 3600)
  t.ok(Math.abs(cruiseWh(windy, windSteps) / cruiseWh(still, calmSteps) - 1.5) < 0.02, 'cruise energy 1.5x')
  t.ok(Math.abs(still.odoM[0]! - 3000) < 0.01 && Math.abs(windy.odoM[0]! - 3000) < 0.01, 'the odometer counts ground metres')
})

t.test("in a crosswind it tracks straight to the target at the triangle's ground speed", async (t) => {
  const f = grounded()
  const target = offset(DEPOT, 2000, 0)
  assignMission(f, 0, [{ ...target, kind: WaypointKind.Depot }], 0, p)
  const wind: Wind = { speedMps: 9, fromDeg: 270 }
  let maxOff = 0
  for (let k = 0; k < 400 && droneState(f, 0) !== 'idle'; k++) {
    stepDrone(f, 0, 1, p, wind)
    if (droneState(f, 0) === 'returning') {
      if (f.speed[0]! > 0) t.ok(Math.abs(f.speed[0]! - 12) < 1e-6, 'ground speed 12 m/s')
      maxOff = Math.max(maxOff, Math.abs(f.lon[0]! - DEPOT.lon) * 111_195 * Math.cos((DEPOT.lat * Math.PI) / 180))
    }
  }
  t.equal(droneState(f, 0), 'idle')
  t.ok(maxOff < 0.5, `stays on the track (${maxOff.toFixed(3)} m off)`)
})

t.test('the mission plan is what the flight costs, in still air and in wind', async (t) => {
  for (const wind of [CALM, { speedMps: 6, fromDeg: 225 }, { speedMps: 10, fromDeg: 90 }]) {
    const f = grounded()
    const plan = planMission(p, wind, { lat: DEPOT.lat, lon: DEPOT.lon, alt: 0, payloadKg: 0 }, mission, 1.5)
    t.ok(plan.ok)
    if (!plan.ok) continue
    assignMission(f, 0, mission, 1.5, p)
    const steps = flyHome(f, p, wind)
    // Whole-second steps round each vertical phase and handling; the plan is exact.
    t.ok(
      Math.abs(f.usedWh[0]! - plan.energyWh) / plan.energyWh < 0.01,
      `wind ${wind.speedMps} m/s: flew ${f.usedWh[0]!.toFixed(2)} Wh, planned ${plan.energyWh.toFixed(2)} Wh`,
    )
    t.ok(Math.abs(steps - plan.durationS) <= 8, `took ${steps} s, planned ${plan.durationS.toFixed(1)} s`)
    t.ok(Math.abs(f.odoM[0]! - plan.distanceM) < 1, 'distance as planned')
    t.equal(f.missionWh[0], f.usedWh[0], 'mission counters follow the mission')
  }
})

t.test('a drone refuses what it cannot finish with its reserve, and a leg it cannot fly', async (t) => {
  t.equal(refusalReason(grounded(1), 0, p, CALM, mission, 1), undefined, 'full battery: accepted')
  const low = refusalReason(grounded(0.22), 0, p, CALM, mission, 1)
  t.match(low, /needs \d+\.\d Wh but has 10\.0 Wh above its 20% reserve/)
  const gale = refusalReason(grounded(1), 0, p, { speedMps: 18, fromDeg: 90 }, mission, 1)
  t.match(gale, /leg 1 \(to the pickup, course 0°\) cannot be flown: crosswind 18\.0 m\/s is not below the airspeed 15 m\/s/)
  const head = refusalReason(grounded(1), 0, p, { speedMps: 16, fromDeg: 0 }, mission, 1)
  t.match(head, /headwind leaves no ground speed/)
})

t.test('battery swap: a landed drone charges for swapTime, then has a full battery', async (t) => {
  const swap = { ...p, swapS: 60 }
  const f = grounded(0.9)
  assignMission(f, 0, [{ ...offset(DEPOT, 600, 0), kind: WaypointKind.Depot }], 0, swap)
  let k = 0
  while (f.phase[0] !== Phase.Ground && k++ < 1000) stepDrone(f, 0, 1, swap)
  t.equal(droneState(f, 0), 'charging', 'swapping')
  const landedWith = f.battery[0]!
  for (let s = 0; s < 59; s++) stepDrone(f, 0, 1, swap)
  t.equal(droneState(f, 0), 'charging')
  t.equal(f.battery[0], landedWith, 'no trickle charge while waiting for the swap')
  stepDrone(f, 0, 1, swap)
  t.equal(droneState(f, 0), 'idle')
  t.equal(f.battery[0], 1)
})

t.test('busy time counts missions, not time on the ground', async (t) => {
  const f = grounded()
  for (let s = 0; s < 10; s++) stepDrone(f, 0, 1, p)
  t.equal(f.busyS[0], 0)
  assignMission(f, 0, mission, 1, p)
  const steps = flyHome(f, p, CALM)
  t.equal(f.busyS[0], steps)
  t.ok(Math.abs(haversineM(f.lat[0]!, f.lon[0]!, DEPOT.lat, DEPOT.lon)) < 0.01)
})
