import t from 'tap'
import { FaultTimeline } from '../sim/FaultTimeline.js'
import { Flag, FleetState } from '../sim/FleetState.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'

const BASE =
  'name: x\nseed: 7\nstart: 2026-01-05T09:00:00Z\nduration: 1 h\ndepots: [{id: a, position: [47.6, -122.3], drones: 3}]\n' +
  'demand: {rate: 1, area: {center: [47.6, -122.3], radius: 1 km}}\n'

/** A timeline over a fresh 3-drone fleet, and the state of drone `id` after switching faults at minute `min`. */
function timeline(faults: string) {
  const s = parseScenario(`${BASE}faults:\n${faults}`)
  const fleet = new FleetState(3)
  const faultsOn = new FaultTimeline(s, fleet)
  let last = -1
  return {
    fleet,
    faults: faultsOn,
    at(min: number, i = 0) {
      // Switch every minute up to `min`, as the simulator does tick by tick.
      for (let m = last + 1; m <= min; m++) faultsOn.beforeTick(s.start + m * 60_000, () => null)
      last = Math.max(last, min)
      return { sigmaM: fleet.gpsSigmaM[i], held: (fleet.flags[i]! & Flag.GpsHold) !== 0, drainExtra: fleet.drainExtra[i] }
    },
  }
}

t.test('two overlapping gpsNoise windows on one drone: the end of the first leaves the second in force', async (t) => {
  const tl = timeline(
    '  - { type: gpsNoise, at: 0 min, for: 10 min, drones: [d-1], sigma: 25 m }\n' +
      '  - { type: gpsNoise, at: 5 min, for: 10 min, drones: [d-1, d-2], sigma: 10 m }\n',
  )
  t.equal(tl.at(2).sigmaM, 25, 'the first alone')
  t.equal(tl.at(7).sigmaM, 25, 'both: the larger sigma, whichever began last')
  t.equal(tl.at(7, 1).sigmaM, 10, 'd-2 is only in the second')
  t.equal(tl.at(12).sigmaM, 10, 'the first ended at 10 min; the second lasts to 15 min')
  t.equal(tl.at(16).sigmaM, 0, 'both over')
  t.equal(tl.at(16, 1).sigmaM, 0)
  t.equal(tl.at(16, 2).sigmaM, 0, 'd-3 never touched')
})

t.test('a weaker gpsNoise that begins inside a stronger one does not lower it', async (t) => {
  const tl = timeline(
    '  - { type: gpsNoise, at: 0 min, for: 20 min, drones: [d-1], sigma: 30 m }\n' +
      '  - { type: gpsNoise, at: 5 min, for: 5 min, drones: [d-1], sigma: 5 m }\n',
  )
  t.equal(tl.at(6).sigmaM, 30)
  t.equal(tl.at(11).sigmaM, 30, 'the inner window ended; the outer one still holds')
  t.equal(tl.at(21).sigmaM, 0)
})

t.test('overlapping gpsDropout and batteryDrain windows hold until the last of them ends', async (t) => {
  const tl = timeline(
    '  - { type: gpsDropout, at: 1 min, for: 4 min, drones: [d-1] }\n' +
      '  - { type: gpsDropout, at: 3 min, for: 4 min, drones: [d-1] }\n' +
      '  - { type: batteryDrain, at: 1 min, for: 4 min, drones: [d-1], factor: 3 }\n' +
      '  - { type: batteryDrain, at: 3 min, for: 4 min, drones: [d-1], factor: 2 }\n',
  )
  t.match(tl.at(2), { held: true, drainExtra: 2 })
  t.match(tl.at(4), { held: true, drainExtra: 2 }, 'both: the faster drain')
  t.match(tl.at(6), { held: true, drainExtra: 1 }, 'the first pair ended at 5 min; the second holds to 7 min')
  t.match(tl.at(8), { held: false, drainExtra: 0 })
})

t.test('other flags survive a dropout switching off', async (t) => {
  const tl = timeline('  - { type: gpsDropout, at: 1 min, for: 1 min, drones: [d-1] }\n')
  tl.fleet.flags[0] = Flag.Silent
  t.ok(tl.at(1).held)
  tl.at(3)
  t.equal(tl.fleet.flags[0], Flag.Silent, 'only the GPS-hold bit is cleared')
})

t.test('a batteryDrain that ended counts the extra energy of its window only', async (t) => {
  const tl = timeline('  - { type: batteryDrain, at: 1 min, for: 2 min, drones: [d-1], factor: 2 }\n')
  tl.at(1)
  tl.fleet.usedWh[0] = 40 // 20 Wh nominal, drawn twice as fast
  tl.at(3)
  tl.fleet.usedWh[0] = 100 // after the battery recovered
  const [r] = tl.faults.results(() => undefined)
  t.equal(r!.effect.extraEnergyWh, 20)
})
