import t from 'tap'
import { batteryCovers, planTrip, type TripPlan } from '../engine/tripPlan.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { cruiseEnergyWh, DEFAULT_PROFILE, hoverEnergyWh, type DroneProfile } from '../protocol/profile.js'
import { offset } from './helpers/offset.js'

const p: DroneProfile = { ...DEFAULT_PROFILE }

/** A point `northM` metres north and `eastM` metres east of `o` (small offsets). */

const depot: LatLon = { lat: 47.6, lon: -122.33 }
const pickup = offset(depot, 1000, 0)
const dropoff = offset(pickup, 0, 2000)

t.test('DEFAULT_PROFILE cruises at about 22 Wh/km with a 0.5 kg package', async (t) => {
  t.equal(cruiseEnergyWh(p, 1000, 0.5), 22)
  t.equal(cruiseEnergyWh(p, 1000, 0), 17)
  t.equal(cruiseEnergyWh(p, 10_000, 0.5), 220)
})

t.test('the plan adds up its legs: cruise empty, cruise loaded, climbs, descents and handling', async (t) => {
  const plan = planTrip(p, depot, pickup, dropoff, depot, 1)
  const toPickup = haversineM(depot.lat, depot.lon, pickup.lat, pickup.lon)
  const loaded = haversineM(pickup.lat, pickup.lon, dropoff.lat, dropoff.lon)
  const back = haversineM(dropoff.lat, dropoff.lon, depot.lat, depot.lon)
  t.ok(Math.abs(toPickup - 1000) < 1 && Math.abs(loaded - 2000) < 1, 'the geometry is what the test means')
  t.equal(plan.distanceM, toPickup + loaded + back)
  // 3 climbs + 3 descents of 60 m at 4 m/s = 90 s, plus 2 × 30 s handling.
  const hoverS = 6 * 15 + 2 * 30
  const expectWh = ((toPickup + back) / 1000) * 17 + (loaded / 1000) * (17 + 10 * 1) + (900 * hoverS) / 3600
  t.ok(Math.abs(plan.energyWh - expectWh) < 1e-9, `energy ${plan.energyWh} ≈ ${expectWh}`)
  t.ok(Math.abs(plan.durationS - (hoverS + plan.distanceM / 15)) < 1e-9, 'duration = vertical + handling + cruise time')
})

t.test('a drone already at the pickup skips the first climb and descent', async (t) => {
  const fromFar = planTrip(p, depot, pickup, dropoff, depot, 1)
  const atPickup = planTrip(p, offset(pickup, 10, 0), pickup, dropoff, depot, 1)
  const saved = fromFar.energyWh - atPickup.energyWh
  // It saves the cruise to the pickup (~990 m empty) and two verticals of 15 s.
  const toPickupSaved = cruiseEnergyWh(p, haversineM(depot.lat, depot.lon, pickup.lat, pickup.lon) - 10, 0)
  t.ok(Math.abs(saved - (toPickupSaved + hoverEnergyWh(p, 30))) < 0.05, `saved ${saved} Wh`)
})

t.test('energy grows with payload', async (t) => {
  const byPayload = [0, 0.5, 1, 2, 2.5].map((kg) => planTrip(p, depot, pickup, dropoff, depot, kg).energyWh)
  for (let i = 1; i < byPayload.length; i++) t.ok(byPayload[i]! > byPayload[i - 1]!, `${byPayload[i]} > ${byPayload[i - 1]}`)
  // Payload only counts on the loaded leg: 2 km × 10 Wh/kg/km per kg.
  t.ok(Math.abs(byPayload[2]! - byPayload[0]! - 20) < 0.01, '1 kg more costs 20 Wh over the 2 km loaded leg')
})

t.test('energy grows with distance', async (t) => {
  const byDistance = [500, 1000, 3000, 8000].map((m) => planTrip(p, depot, pickup, offset(pickup, 0, m), depot, 0.5))
  for (let i = 1; i < byDistance.length; i++) {
    t.ok(byDistance[i]!.energyWh > byDistance[i - 1]!.energyWh, 'more energy')
    t.ok(byDistance[i]!.durationS > byDistance[i - 1]!.durationS, 'more time')
    t.ok(byDistance[i]!.distanceM > byDistance[i - 1]!.distanceM, 'more distance')
  }
})

t.test('batteryCovers keeps the reserve: the boundary is energy + reserve', async (t) => {
  const plan: TripPlan = { distanceM: 0, energyWh: 150, durationS: 0 }
  // 150 Wh of 500 Wh is 0.3; with a 0.2 reserve a battery needs 0.5.
  const cases: Array<[number, boolean]> = [
    [1, true],
    [0.6, true],
    [0.5, true],
    [0.4999, false],
    [0.3, false],
    [0, false],
  ]
  for (const [battery, covers] of cases) t.equal(batteryCovers(p, battery, plan), covers, `battery ${battery}`)
})

t.test('batteryCovers follows the profile reserve', async (t) => {
  const plan: TripPlan = { distanceM: 0, energyWh: 100, durationS: 0 }
  t.equal(batteryCovers({ ...p, reserve: 0 }, 0.2, plan), true)
  t.equal(batteryCovers({ ...p, reserve: 0.1 }, 0.2, plan), false)
  t.equal(batteryCovers({ ...p, reserve: 0.1 }, 0.3, plan), true)
})

t.test('a real trip: a full battery covers it, a nearly empty one does not', async (t) => {
  const plan = planTrip(p, depot, pickup, dropoff, depot, 2)
  t.ok(batteryCovers(p, 1, plan))
  t.notOk(batteryCovers(p, 0.25, plan))
  const longHaul = planTrip(p, depot, pickup, offset(pickup, 0, 12_000), depot, 2.5)
  t.notOk(batteryCovers(p, 1, longHaul), `${longHaul.energyWh} Wh leaves less than the reserve of 500 Wh`)
})
