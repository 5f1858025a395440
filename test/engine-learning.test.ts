import t from 'tap'
import { DroneFactors } from '../engine/DroneFactors.js'
import { FleetLearning } from '../engine/FleetLearning.js'
import { HandlingTimes } from '../engine/HandlingTimes.js'
import { WindEstimate } from '../engine/WindEstimate.js'
import type { LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { flownSamples, type FixtureDrone } from './helpers/flownSamples.js'
import { offset } from './helpers/offset.js'

const T0 = 1_767_618_000_000
const S = 1000
const HERE: LatLon = { lat: -41.29, lon: 174.78 }
const near = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol

t.test('wind estimate: the prior until observed, then the observations, pooled over the fleet', async (t) => {
  const forecast = { eastMps: 3, northMps: 0 }
  const w = new WindEstimate({ prior: () => forecast })
  t.same(w.at(HERE, T0), forecast, 'nothing observed: the forecast')
  t.ok(w.known, 'a forecast is known wind')
  // Drones all over town see 6 m/s toward the north-east for five minutes.
  for (let s = 0; s < 300; s++) for (let k = 0; k < 6; k++) w.observe(offset(HERE, (k - 3) * 1500, (k % 3) * 1200), T0 + s * S, 4, 4, 1)
  const v = w.at(offset(HERE, 4000, -3000), T0 + 300 * S)
  t.ok(
    near(v.eastMps, 4, 0.15) && near(v.northMps, 4, 0.15),
    `far from any observation, the fleet's (the forecast weighs little against five minutes of it): ${v.eastMps.toFixed(2)}, ${v.northMps.toFixed(2)}`,
  )
  const still = new WindEstimate()
  t.notOk(still.known, 'no forecast, nothing seen: still air')
  for (let s = 0; s < 60; s++) still.observe(HERE, T0 + s * S, 0.05, -0.05, 1)
  t.notOk(still.known, 'noise around zero is no wind')
  for (let s = 0; s < 60; s++) still.observe(HERE, T0 + (60 + s) * S, 3, 0, 1)
  t.ok(still.known, 'a steady 3 m/s is')
})

t.test('wind estimate: a place that differs keeps its own wind, which fades when asked about later', async (t) => {
  const w = new WindEstimate()
  const gusty = offset(HERE, 3000, 3000)
  for (let s = 0; s < 300; s++) {
    for (let k = 0; k < 5; k++) w.observe(offset(HERE, -k * 1500, -2000), T0 + s * S, 5, 0, 1)
    w.observe(gusty, T0 + s * S, 9, 0, 1)
  }
  const now = T0 + 300 * S
  const there = w.at(gusty, now).eastMps
  const elsewhere = w.at(offset(HERE, -3000, -2000), now).eastMps
  t.ok(there > 8 && elsewhere < 6, `at the gusty place ${there.toFixed(2)} m/s, elsewhere ${elsewhere.toFixed(2)} m/s`)
  const later = w.at(gusty, now + 10 * 60 * S).eastMps
  t.ok(later < there - 2 && later > 5, `ten minutes ahead the gust has mostly faded: ${later.toFixed(2)} m/s`)
  t.ok(
    Math.abs(w.meanNow(gusty, now + 10 * 60 * S).eastMps - w.fleetMean(gusty, now).eastMps) < 1e-9,
    'the planning wind is the mean as it is now',
  )
})

t.test('wind estimate: a drifting wind is followed without the lag of an average', async (t) => {
  const w = new WindEstimate()
  // From 2 to 6 m/s over ten minutes.
  for (let s = 0; s <= 600; s++) for (let k = 0; k < 4; k++) w.observe(offset(HERE, k * 900, 0), T0 + s * S, 2 + (4 * s) / 600, 0, 1)
  const now = w.fleetMean(HERE, T0 + 600 * S).eastMps
  t.ok(near(now, 6, 0.3), `now ${now.toFixed(2)} m/s, not the ten minutes' average of 4`)
  const quiet = new WindEstimate({ prior: () => ({ eastMps: 1, northMps: 0 }) })
  for (let s = 0; s < 120; s++) quiet.observe(HERE, T0 + s * S, 7, 0, 1)
  t.ok(near(quiet.at(HERE, T0 + 120 * S).eastMps, 7, 0.5), 'observed: 7 m/s')
  t.ok(near(quiet.at(HERE, T0 + 3 * 3600 * S).eastMps, 1, 0.1), 'hours without an observation: back to the forecast')
})

t.test('drone factors: airspeed and energy in cruise and hover, each from its own evidence', async (t) => {
  const f = new DroneFactors({ priorSpeedS: 60, priorEnergyWh: 5 })
  t.equal(f.speed('d-1'), 1)
  t.equal(f.energy('d-1', 'cruise'), 1)
  for (let s = 0; s < 600; s++) f.observeSpeed('d-1', 1.1 + (s % 2 ? 0.05 : -0.05), 1)
  t.ok(near(f.speed('d-1'), 1.1, 0.01), `speed factor ${f.speed('d-1').toFixed(3)}`)
  for (let s = 0; s < 600; s++) f.observeEnergy('d-1', 'cruise', 0.2 * 1.3, 0.2)
  for (let s = 0; s < 300; s++) f.observeEnergy('d-1', 'hover', 0.25 * 1.1, 0.25)
  t.ok(near(f.energy('d-1', 'cruise'), 1.3, 0.015) && near(f.energy('d-1', 'hover'), 1.1, 0.015), 'cruise 1.3, hover 1.1')
  // Five drones known: one nobody has seen yet is assumed like the hungriest tenth of them.
  for (const [k, e] of [1, 1.05, 1.1, 1.2, 1.25].entries()) for (let s = 0; s < 300; s++) f.observeEnergy(`k-${k}`, 'hover', 0.25 * e, 0.25)
  for (let s = 0; s < 300; s++) f.observeEnergy('k-5', 'cruise', 0.2, 0.2)
  t.ok(f.energy('unseen', 'hover') > 1.19, `an unseen battery: ${f.energy('unseen', 'hover').toFixed(3)}`)
  t.equal(f.energy('unseen', 'cruise'), 1, 'in cruise fewer than three are known: no fleet evidence yet')
  // A battery that ages: the newest evidence wins.
  for (let s = 0; s < 20_000; s++) f.observeEnergy('d-1', 'cruise', 0.2 * 1.5, 0.2)
  t.ok(near(f.energy('d-1', 'cruise'), 1.5, 0.02), `after ageing ${f.energy('d-1', 'cruise').toFixed(3)}`)
})

t.test('handling times: the mean, and the mean still to wait given the wait so far', async (t) => {
  const h = new HandlingTimes(30, { keep: 100, priorCount: 2 })
  t.equal(h.mean('dropoff'), 30, 'the profile until observed')
  t.equal(h.remaining('dropoff', 10), 20)
  // Nine in ten customers take 20 s; one in ten keeps the drone 200 s.
  for (let k = 0; k < 100; k++) h.observe('dropoff', k % 10 === 0 ? 200 : 20)
  t.ok(near(h.mean('dropoff'), (90 * 20 + 10 * 200 + 60) / 102, 1e-9), `mean ${h.mean('dropoff').toFixed(2)} s`)
  t.ok(near(h.remaining('dropoff', 60), 140, 1e-9), 'a drone still hovering after 60 s is waiting for an absent customer: 140 s to go')
  t.ok(h.remaining('dropoff', 15) < 30, 'after 15 s most are nearly done')
  t.equal(h.mean('pickup'), 30, 'pickups are their own')
  for (let k = 0; k < 300; k++) h.observe('dropoff', 40)
  t.ok(near(h.mean('dropoff'), (100 * 40 + 60) / 102, 1e-9), 'only the newest `keep` count')
  t.equal(h.count('dropoff'), 400)
})

t.test('fixture: drones flown by the simulator in a known wind teach the engine that wind and each drone’s figures', async (t) => {
  const drones: FixtureDrone[] = [
    { speedFactor: 1, health: 1 },
    { speedFactor: 1.1, health: 0.9 },
    { speedFactor: 0.9, health: 1 },
    { speedFactor: 1.05, health: 0.8 },
    { speedFactor: 0.95, health: 0.95 },
    { speedFactor: 1, health: 0.85 },
  ]
  // A 7 m/s wind from the north-west (toward the south-east), 30 % off a forecast of 5 m/s from the west.
  const truth = { eastMps: 4.95, northMps: -4.95 }
  const samples = flownSamples(HERE, drones, () => truth, { t0: T0, seconds: 2400 })
  const learn = new FleetLearning(DEFAULT_PROFILE, () => ({ eastMps: 5, northMps: 0 }))
  for (const s of samples) learn.observe(s, s.courseDeg, s.payloadKg)
  const end = samples.at(-1)!.ts
  const w = learn.wind.at(HERE, end)
  t.ok(
    Math.hypot(w.eastMps - truth.eastMps, w.northMps - truth.northMps) < 0.4,
    `learned ${w.eastMps.toFixed(2)}, ${w.northMps.toFixed(2)} m/s`,
  )
  drones.forEach((d, i) => {
    const id = `d-${i + 1}`
    const k = learn.factors.speed(id)
    t.ok(near(k, d.speedFactor, 0.03), `${id}: speed factor ${k.toFixed(3)} for ${d.speedFactor}`)
    // Hover draws the profile's power from a battery of `health`; cruise also pays the cube of its airspeed.
    t.ok(near(learn.factors.energy(id, 'hover'), 1 / d.health, 0.02), `${id}: hover energy ${learn.factors.energy(id, 'hover').toFixed(3)}`)
    t.ok(
      near(learn.factors.energy(id, 'cruise'), d.speedFactor ** 3 / d.health, 0.03),
      `${id}: cruise energy ${learn.factors.energy(id, 'cruise').toFixed(3)} for ${(d.speedFactor ** 3 / d.health).toFixed(3)}`,
    )
  })
  const p = learn.profileOf('d-2')
  t.ok(near(p.cruiseSpeedMps, 16.5, 0.5), `d-2 is planned at ${p.cruiseSpeedMps.toFixed(2)} m/s`)
  t.ok(
    near(p.batteryWh, (500 * 0.9) / 1.02, 10),
    `on ${p.batteryWh.toFixed(0)} Wh of battery (hover-equivalent, less the 2 % kept on top of plans)`,
  )
  t.same(new FleetLearning(DEFAULT_PROFILE).profileOf('d-1'), DEFAULT_PROFILE, 'nothing learned: the profile itself')
})

t.test('fixture: drones that fly exactly as the profile says teach nothing: the plans stay the model’s', async (t) => {
  const samples = flownSamples(
    HERE,
    [
      { speedFactor: 1, health: 1 },
      { speedFactor: 1, health: 1 },
    ],
    () => ({ eastMps: 0, northMps: 0 }),
    {
      t0: T0,
      seconds: 1800,
    },
  )
  const learn = new FleetLearning(DEFAULT_PROFILE)
  for (const s of samples) learn.observe(s, s.courseDeg, s.payloadKg)
  t.notOk(learn.wind.known, 'still air stays still air')
  t.equal(learn.windField(), undefined)
  t.same(learn.profileOf('d-1'), DEFAULT_PROFILE, 'factors of exactly 1')
})
