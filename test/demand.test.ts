import t from 'tap'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { DemandGenerator, type DemandArrival } from '../sim/demand.js'
import { MODEL_WORLD, type Scenario } from '../sim/scenario/Scenario.js'

const T0 = 1_763_700_000_000
const H = 3_600_000 // one hour in ms
const CENTER: LatLon = { lat: 47.6, lon: -122.33 }
const NORTH: LatLon = { lat: 47.65, lon: -122.33 }
const EMPTY: LatLon = { lat: 47.55, lon: -122.4 }

type Over = Partial<Pick<Scenario['demand'], 'ratePerHour' | 'weightKg' | 'deadlineS' | 'phases' | 'hotspots' | 'pickups'>> & {
  seed?: number
  radiusM?: number
  polygon?: LatLon[]
  zones?: Scenario['zones']
}

function scenario(over: Over = {}): Scenario {
  return {
    name: 'demand-test',
    seed: over.seed ?? 42,
    start: T0,
    durationS: 3600,
    speed: 'max',
    tickS: 1,
    drone: { ...DEFAULT_PROFILE },
    wind: { speedMps: 0, fromDeg: 0 },
    world: MODEL_WORLD,
    regions: [],
    zones: over.zones ?? [],
    faults: [],
    depots: [
      { id: 'center', position: CENTER, drones: 4 },
      { id: 'empty', position: EMPTY, drones: 0 },
      { id: 'north', position: NORTH, drones: 2 },
    ],
    demand: {
      ratePerHour: over.ratePerHour ?? 120,
      phases: over.phases ?? [],
      area: { center: CENTER, radiusM: over.radiusM ?? 3000, polygon: over.polygon ?? [] },
      hotspots: over.hotspots ?? [],
      pickups: over.pickups ?? [],
      weightKg: over.weightKg ?? { min: 0.2, max: 2.5 },
      deadlineS: over.deadlineS ?? 1800,
    },
    expect: [],
    hash: '',
  }
}

const arrivals = (s: Scenario, hours: number): DemandArrival[] => new DemandGenerator(s).until(T0 + hours * H)

t.test('the same scenario and seed give identical arrivals', async (t) => {
  const a = arrivals(scenario({ seed: 7 }), 5)
  const b = arrivals(scenario({ seed: 7 }), 5)
  t.ok(a.length > 400, `${a.length} arrivals`)
  t.same(a, b)
})

t.test('a different seed gives different arrivals', async (t) => {
  const a = arrivals(scenario({ seed: 7 }), 2)
  const b = arrivals(scenario({ seed: 8 }), 2)
  t.not(a[0]?.at, b[0]?.at, 'the first request comes at another time')
  const same = a.filter((x, i) => b[i] !== undefined && x.at === b[i]!.at).length
  t.ok(same < a.length / 10, `${same} of ${a.length} arrival times coincide`)
  t.notSame(
    a.map((x) => x.dropoff),
    b.map((x) => x.dropoff),
  )
})

t.test('asking in small steps gives the same stream as asking once', async (t) => {
  const once = arrivals(scenario(), 3)
  const g = new DemandGenerator(scenario())
  const stepped: DemandArrival[] = []
  for (let ms = 0; ms <= 3 * H; ms += 7_919) stepped.push(...g.until(T0 + ms))
  stepped.push(...g.until(T0 + 3 * H))
  t.same(stepped, once)
  t.same(g.until(T0 + 3 * H), [], 'nothing is handed out twice')
})

t.test('arrivals come in order, after the start, no later than asked', async (t) => {
  const g = new DemandGenerator(scenario())
  const first = g.until(T0 + H)
  t.ok(
    first.every((a, i) => a.at > T0 && a.at <= T0 + H && (i === 0 || a.at > first[i - 1]!.at)),
    'strictly increasing within (start, t]',
  )
  const next = g.until(T0 + 2 * H)
  t.ok(next.length > 0 && next[0]!.at > first.at(-1)!.at && next.every((a) => a.at > T0 + H && a.at <= T0 + 2 * H))
  t.same(new DemandGenerator(scenario()).until(T0), [], 'nothing at the start itself')
})

t.test('the mean rate over 10,000 arrivals is within 10% of the configured rate', async (t) => {
  for (const ratePerHour of [30, 150, 3600]) {
    const g = new DemandGenerator(scenario({ ratePerHour }))
    const all: DemandArrival[] = []
    for (let h = 1; all.length < 10_000; h++) all.push(...g.until(T0 + h * H))
    const first10k = all.slice(0, 10_000)
    const spanH = (first10k.at(-1)!.at - T0) / H
    const rate = first10k.length / spanH
    t.ok(Math.abs(rate - ratePerHour) / ratePerHour < 0.1, `configured ${ratePerHour}/h, measured ${rate.toFixed(1)}/h`)
    // Poisson: the gaps are exponential, so their standard deviation is close to their mean.
    const gaps = first10k.map((a, i) => a.at - (i === 0 ? T0 : first10k[i - 1]!.at))
    const mean = gaps.reduce((x, y) => x + y, 0) / gaps.length
    const sd = Math.sqrt(gaps.reduce((x, y) => x + (y - mean) ** 2, 0) / gaps.length)
    t.ok(Math.abs(sd / mean - 1) < 0.1, `gap sd/mean = ${(sd / mean).toFixed(3)}`)
  }
})

t.test('drop-offs lie within the area radius, spread over the whole disc', async (t) => {
  for (const radiusM of [500, 3000, 20_000]) {
    const all = arrivals(scenario({ radiusM, ratePerHour: 3600 }), 2)
    const d = all.map((a) => haversineM(CENTER.lat, CENTER.lon, a.dropoff.lat, a.dropoff.lon))
    const outside = d.filter((m) => m > radiusM + 0.05).length // rounding to 1e-7° is ~1 cm
    t.equal(outside, 0, `radius ${radiusM} m: farthest ${Math.max(...d).toFixed(2)} m`)
    // Uniform over the disc: a quarter of the points fall within half the radius.
    const inner = d.filter((m) => m <= radiusM / 2).length / d.length
    t.ok(Math.abs(inner - 0.25) < 0.03, `radius ${radiusM} m: ${(inner * 100).toFixed(1)}% within half the radius`)
    t.ok(Math.max(...d) > radiusM * 0.98, 'reaches the edge')
    // All four quadrants are used.
    const quadrants = new Set(all.map((a) => `${a.dropoff.lat > CENTER.lat ? 'N' : 'S'}${a.dropoff.lon > CENTER.lon ? 'E' : 'W'}`))
    t.equal(quadrants.size, 4)
  }
})

t.test('drop-offs are drawn outside no-fly zones, around them and next to them', async (t) => {
  // A no-fly square over the north-east quarter of the 3 km disc, and a watched one over the south-west.
  const square = (dLat: number, dLon: number): LatLon[] => [
    { lat: CENTER.lat, lon: CENTER.lon },
    { lat: CENTER.lat + dLat, lon: CENTER.lon },
    { lat: CENTER.lat + dLat, lon: CENTER.lon + dLon },
    { lat: CENTER.lat, lon: CENTER.lon + dLon },
  ]
  const zones = [
    { id: 'ne', polygon: square(0.05, 0.08), noFly: true },
    { id: 'sw', polygon: square(-0.05, -0.08), noFly: false },
  ]
  const all = arrivals(scenario({ ratePerHour: 3600, zones }), 2)
  const ne = all.filter((a) => a.dropoff.lat >= CENTER.lat && a.dropoff.lon >= CENTER.lon).length
  const sw = all.filter((a) => a.dropoff.lat < CENTER.lat && a.dropoff.lon < CENTER.lon).length
  t.equal(ne, 0, 'none in the no-fly quarter')
  t.ok(Math.abs(sw / all.length - 1 / 3) < 0.05, `the other three quarters share them evenly, the watched one too (${sw} of ${all.length})`)
  const nearEdge = all.filter((a) => a.dropoff.lat > CENTER.lat && a.dropoff.lon < CENTER.lon && a.dropoff.lon > CENTER.lon - 0.001).length
  t.ok(nearEdge > 0, 'right up to the zone edge')
  const far = [{ id: 'far', polygon: square(0.01, 0.01).map((p) => ({ lat: p.lat + 1, lon: p.lon })), noFly: true }]
  t.same(
    arrivals(scenario({ zones: far }), 1),
    arrivals(scenario(), 1),
    'a zone no draw falls into changes nothing: the same stream as without zones',
  )
})

t.test('weights lie within the configured bounds and use the range', async (t) => {
  const cases = [
    { min: 0.2, max: 2.5 },
    { min: 1, max: 1 },
    { min: 0, max: 0.5 },
  ]
  for (const weightKg of cases) {
    const all = arrivals(scenario({ weightKg, ratePerHour: 1200 }), 2)
    const w = all.map((a) => a.weightKg)
    t.ok(
      w.every((x) => x >= weightKg.min && x <= weightKg.max),
      `${weightKg.min}..${weightKg.max}: ${Math.min(...w)}..${Math.max(...w)}`,
    )
    const span = weightKg.max - weightKg.min
    t.ok(Math.min(...w) - weightKg.min <= span * 0.02 && weightKg.max - Math.max(...w) <= span * 0.02, 'covers the range')
    const mean = w.reduce((x, y) => x + y, 0) / w.length
    t.ok(Math.abs(mean - (weightKg.min + weightKg.max) / 2) <= span * 0.05 + 1e-9, `mean ${mean.toFixed(3)} is mid-range`)
  }
})

t.test('the deadline is the request time plus deadlineS', async (t) => {
  for (const deadlineS of [600, 1800, 7200]) {
    const all = arrivals(scenario({ deadlineS }), 1)
    t.ok(all.length > 0)
    t.ok(
      all.every((a) => a.deadline === a.at + deadlineS * 1000),
      `deadlineS ${deadlineS}`,
    )
  }
})

t.test('pickups are at depots that have drones, and every such depot is used', async (t) => {
  const all = arrivals(scenario(), 5)
  const used = new Set(all.map((a) => `${a.pickup.lat},${a.pickup.lon}`))
  t.same([...used].sort(), [`${CENTER.lat},${CENTER.lon}`, `${NORTH.lat},${NORTH.lon}`].sort())
  t.notOk(
    all.some((a) => a.pickup.lat === EMPTY.lat && a.pickup.lon === EMPTY.lon),
    'never the depot without drones',
  )
})
