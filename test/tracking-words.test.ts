import t from 'tap'
import { etaWords, eventWords, plainReason, statusHeadline, trackingSteps } from '../gateway/trackingWords.js'

const NBSP = '\u00a0'
const words = (ms: number): string => etaWords(ms).replaceAll(NBSP, ' ')

t.test('the time left in words, with its unit', async (t) => {
  t.equal(words(5_000), 'arriving any moment')
  t.equal(words(45_000), 'arrives in less than a minute')
  t.equal(words(237_000), 'arrives in about 4 min', '3:57 is "about 4 min", not a time of day')
  t.equal(words(59 * 60_000), 'arrives in about 59 min')
  t.equal(words(60 * 60_000), 'arrives in about 1 h')
  t.equal(words(125 * 60_000), 'arrives in about 2 h 5 min')
  t.ok(etaWords(237_000).includes(`4${NBSP}min`), 'the number stays with its unit when the line wraps')
})

t.test('steps: requested → drone on its way → picked up → arriving → delivered', async (t) => {
  const current = (status: string, left: number | null = null, drone: string | null = null, events: string[] = []): string[] =>
    trackingSteps(status, events, left, drone).map((s) => `${s.label}:${s.state}`)
  t.same(current('Created'), ['Requested:current', 'Drone on its way:todo', 'Picked up:todo', 'Arriving:todo', 'Delivered:todo'])
  t.same(current('HeadedToPickup', 60_000), [
    'Requested:done',
    'Drone on its way:current',
    'Picked up:todo',
    'Arriving:todo',
    'Delivered:todo',
  ])
  t.same(current('HeadedToDropoff', 600_000), [
    'Requested:done',
    'Drone on its way:done',
    'Picked up:current',
    'Arriving:todo',
    'Delivered:todo',
  ])
  t.same(current('HeadedToDropoff', 120_000)[3], 'Arriving:current', 'the last two minutes')
  t.same(current('HeadedToDropoff', 600_000, 'landing')[3], 'Arriving:current', 'or landing at the drop-off')
  t.same(current('HeadedToPickup', 60_000, 'landing')[3], 'Arriving:todo', 'landing at the pickup is not arriving')
  t.same(current('Completed'), ['Requested:done', 'Drone on its way:done', 'Picked up:done', 'Arriving:done', 'Delivered:done'])
  t.same(current('Cancelled', null, null, ['DeliveryCreated', 'DroneAssigned', 'DeliveryCancelled']), [
    'Requested:done',
    'Drone on its way:done',
    'Cancelled:stopped',
  ])
  t.same(current('Failed', null, null, ['DeliveryCreated', 'DroneAssigned', 'PackagePickedUp', 'DroneLost', 'DeliveryFailed']), [
    'Requested:done',
    'Drone on its way:done',
    'Picked up:done',
    'Not delivered:stopped',
  ])
})

t.test('headlines', async (t) => {
  t.equal(statusHeadline('Created', ['DeliveryCreated'], false), 'Finding a drone for your parcel')
  t.equal(statusHeadline('Created', ['DroneAssigned', 'DroneLost'], false), 'Finding another drone for your parcel')
  t.equal(statusHeadline('HeadedToDropoff', [], true), 'Your parcel is arriving')
  t.equal(statusHeadline('Failed', [], false), 'This delivery could not be completed')
})

t.test("the engine's reasons in words a customer can use", async (t) => {
  const failed = (reason: string): string => plainReason({ type: 'DeliveryFailed', reason })
  t.equal(failed("package of 12 kg exceeds the drones' 5 kg payload"), 'Your parcel is heavier than our drones can carry.')
  t.equal(
    failed('no route from the pickup to the drop-off avoids the no-fly zones'),
    'No flight path reaches the drop-off without crossing a no-fly zone.',
  )
  t.equal(
    failed('the soonest drone (d-3) would release it at 2026-01-01T10:00:00.000Z, after its deadline 2026-01-01T09:00:00.000Z'),
    'It could no longer arrive before its deadline.',
  )
  t.equal(
    failed(
      'even a full drone waiting at the pickup could not fly to the drop-off and back to a depot with its reserve (it needs 130% of a battery: 900 Wh, and a full one has 700 Wh above its 20% reserve)',
    ),
    'The drop-off is farther than our drones can fly.',
  )
  t.equal(
    failed('drone d-1 went silent carrying the package; last seen at (47.61000, -122.33000)'),
    'The drone carrying your parcel ran into a problem and could not finish the flight.',
  )
  t.equal(failed('leg 2 (to the drop-off, course 270°) cannot be flown: headwind 20 m/s'), 'The wind is too strong to fly there safely.')
  t.equal(failed('something new'), 'We could not complete this delivery.')
  t.equal(plainReason({ type: 'DeliveryCancelled', reason: 'cancelled by operator' }), 'The delivery was cancelled.')
  t.equal(
    plainReason({ type: 'DeliveryCancelled', reason: 'the recipient moved' }),
    'The delivery was cancelled. Reason given: the recipient moved.',
  )
  t.equal(
    plainReason({ type: 'DeliveryCancelled', reason: 'cancelled by operator', packageReturnsTo: { lat: 1, lon: 2 } }),
    'The delivery was cancelled. Your parcel is being flown back to the depot.',
  )
  t.equal(plainReason(undefined), '')
  t.equal(eventWords({ type: 'DeliveryReassigned', toDroneId: 'd-9' }), 'Handed to drone d-9')
})

t.test('each function stands alone, so the page can carry its source', async (t) => {
  for (const fn of [etaWords, eventWords, plainReason, statusHeadline, trackingSteps]) {
    // Rebuilt from its source text alone, with nothing of this module in scope, it still works.
    const copy = new Function(`return (${fn.toString()})`)() as typeof fn
    t.equal(typeof copy, 'function', fn.name)
  }
  const steps = new Function(`return (${trackingSteps.toString()})`)() as typeof trackingSteps
  t.same(steps('HeadedToDropoff', [], 60_000, null), trackingSteps('HeadedToDropoff', [], 60_000, null))
  const eta = new Function(`return (${etaWords.toString()})`)() as typeof etaWords
  t.equal(eta(237_000), etaWords(237_000))
})
