import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import { polygon as turfPolygon } from '@turf/helpers'
import t from 'tap'
import { DronefleetError } from '../protocol/errors.js'
import type { LatLon } from '../protocol/geo.js'
import { RegionMap, type Region } from '../protocol/RegionMap.js'
import { MAX_REGION_EXTENT_M, regionProblems } from '../protocol/regionProblems.js'
import { RegionRing } from '../protocol/RegionRing.js'
import { regionsOverlap } from '../protocol/regionsOverlap.js'
import { DEFAULT_REGION } from '../protocol/topics.js'
import { createRng } from '../sim/random.js'

// Tests run from dist/test/; fixtures stay in the source tree.
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/fixtures/regions/${name}.json`, import.meta.url)), 'utf8')) as T

type Pair = [number, number]
const ll = ([lat, lon]: Pair): LatLon => ({ lat, lon })
const regionsOf = (f: { regions: Array<{ id: string; polygon: Pair[] }> }): Region[] =>
  f.regions.map((r) => ({ id: r.id, polygon: r.polygon.map(ll) }))

interface PointsFixture {
  regions: Array<{ id: string; polygon: Pair[] }>
  points: Array<{ at: Pair; region?: string | null; oneOf?: string[]; why: string }>
}

t.test('without regions the whole world is the default region', async (t) => {
  const map = new RegionMap()
  t.same(map.ids, [DEFAULT_REGION])
  t.equal(map.named, false)
  for (const [lat, lon] of [
    [47.6, -122.3],
    [-90, 180],
    [90, -180],
    [0, 0],
  ] as const)
    t.equal(map.regionOf(lat, lon), DEFAULT_REGION, `${lat}, ${lon}`)
  t.ok(map.has(DEFAULT_REGION))
  t.notOk(map.has('north'))
})

for (const name of ['tiled-city', 'across-the-line']) {
  t.test(`${name}: each place belongs to the region the fixture says`, async (t) => {
    const f = fixture<PointsFixture>(name)
    const regions = regionsOf(f)
    t.same(regionProblems(regions), [], 'the fixture is a valid set of regions')
    const map = new RegionMap(regions)
    t.same(
      map.ids,
      regions.map((r) => r.id),
    )
    t.equal(map.named, true)
    for (const p of f.points) {
      const got = map.regionOf(p.at[0], p.at[1])
      if (p.oneOf) t.ok(got !== undefined && p.oneOf.includes(got), `${p.why}: ${got}`)
      else t.equal(got ?? null, p.region, p.why)
      // Whatever regionOf says, the place is in exactly one ring or none: shared edges are never counted twice.
      const holders = regions.filter((r) => new RegionRing(r.polygon).contains(p.at[0], p.at[1])).length
      t.equal(holders, got === undefined ? 0 : 1, `${p.why}: held by ${holders} region(s)`)
    }
  })
}

t.test('along every shared edge, each point belongs to exactly one region', async (t) => {
  const regions = regionsOf(fixture<PointsFixture>('tiled-city'))
  const rings = regions.map((r) => new RegionRing(r.polygon))
  const rng = createRng(1, 'region-edges')
  // The three shared edges of the tiled city: north/south (with south's extra corner), north/east and south/east (slanted).
  const shared: Array<[LatLon, LatLon]> = [
    [
      { lat: 47.62, lon: -122.45 },
      { lat: 47.62, lon: -122.25 },
    ],
    [
      { lat: 47.62, lon: -122.25 },
      { lat: 47.7, lon: -122.3 },
    ],
    [
      { lat: 47.62, lon: -122.25 },
      { lat: 47.54, lon: -122.2 },
    ],
  ]
  for (const [a, b] of shared) {
    for (let k = 0; k < 500; k++) {
      const u = rng()
      const p = { lat: a.lat + u * (b.lat - a.lat), lon: a.lon + u * (b.lon - a.lon) }
      const holders = rings.filter((r) => r.contains(p.lat, p.lon)).length
      if (holders !== 1) t.fail(`${p.lat}, ${p.lon} is held by ${holders} regions`)
    }
  }
  t.pass('1500 points on shared edges, each held once')
})

t.test('inside and outside agree with turf away from the edges', async (t) => {
  const regions = regionsOf(fixture<PointsFixture>('tiled-city'))
  const map = new RegionMap(regions)
  const rng = createRng(2, 'region-points')
  let inside = 0
  for (let k = 0; k < 5000; k++) {
    const lat = 47.5 + rng() * 0.25
    const lon = -122.5 + rng() * 0.45
    const turf = regions.filter((r) =>
      booleanPointInPolygon([lon, lat], turfPolygon([[...r.polygon.map((p) => [p.lon, p.lat]), [r.polygon[0]!.lon, r.polygon[0]!.lat]]]), {
        ignoreBoundary: true,
      }),
    )
    if (turf.length > 1) t.fail('turf finds an overlap in the fixture')
    const got = map.regionOf(lat, lon)
    // On an edge (which turf's ignoreBoundary leaves out) both are right in their own way; off it they must agree.
    if (turf.length === 1 && got !== turf[0]!.id) t.fail(`${lat}, ${lon}: ${got} but turf says ${turf[0]!.id}`)
    if (turf.length === 0 && got !== undefined) {
      const onEdge = regions.some((r) => {
        const ring = new RegionRing(r.polygon)
        return ring.onBoundaryXY(ring.x(lon), lat)
      })
      if (!onEdge) t.fail(`${lat}, ${lon}: ${got} but turf says outside`)
    }
    if (got !== undefined) inside++
  }
  t.ok(inside > 1000 && inside < 5000, `${inside} of 5000 random points fell in a region`)
})

t.test('RegionMap refuses regions that are not valid, naming the field and value', async (t) => {
  const square: LatLon[] = [
    { lat: 0, lon: 0 },
    { lat: 0, lon: 1 },
    { lat: 1, lon: 1 },
    { lat: 1, lon: 0 },
  ]
  t.throws(() => new RegionMap([{ id: 'Big City', polygon: square }]), {
    code: 'DF_OPTION_INVALID',
    field: 'regions[0].id',
    value: 'Big City',
    message: /regions\[0\]\.id must be 1-63 lowercase letters/,
  })
  t.throws(
    () =>
      new RegionMap([
        { id: 'a', polygon: square },
        { id: 'b', polygon: square },
      ]),
    { code: 'DF_OPTION_INVALID', field: 'regions[1].polygon', message: /overlaps region "a"/ },
  )
  const err = t.throws(() => new RegionMap([{ id: 'a', polygon: square.slice(0, 2) }])) as unknown
  t.ok(err instanceof DronefleetError)
})

t.test('regionProblems: ids, rings, extent', async (t) => {
  const square = (lat: number, lon: number, size = 1): LatLon[] => [
    { lat, lon },
    { lat, lon: lon + size },
    { lat: lat + size, lon: lon + size },
    { lat: lat + size, lon },
  ]
  t.same(regionProblems([]), [])
  const got = regionProblems([
    { id: 'north', polygon: square(0, 0) },
    { id: 'north', polygon: square(0, 5) },
    { id: DEFAULT_REGION, polygon: square(0, 10) },
    { id: '-x', polygon: square(0, 15) },
    {
      id: 'bow',
      polygon: [
        { lat: 0, lon: 20 },
        { lat: 1, lon: 21 },
        { lat: 0, lon: 21 },
        { lat: 1, lon: 20 },
      ],
    },
    { id: 'huge', polygon: square(-10, 30, 25) },
    { id: 'closed', polygon: [...square(5, 0), { lat: 5, lon: 0 }] },
    { id: undefined, polygon: undefined },
  ])
  const at = (path: string) => got.filter((p) => p.path.join('.') === path).map((p) => p.message)
  t.match(at('1.id'), ['duplicate region id "north" (also regions[0])'])
  t.match(at('2.id'), [/"default" is the region of a world without regions/])
  t.match(at('3.id'), [/must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit, got "-x"/])
  t.match(at('4.polygon.0'), [/corner 0: edge 0-1 crosses edge 2-3; the polygon must not intersect itself/])
  t.match(at('5.polygon'), [`may be at most ${MAX_REGION_EXTENT_M / 1000} km across`])
  t.same(at('6.polygon'), [], 'a closed ring is fine')
  t.equal(got.length, 5, JSON.stringify(got))
})

t.test('regions overlap when they share area, not when they share edges or corners', async (t) => {
  const f = fixture<{ pairs: Array<{ why: string; overlap: boolean; a: Pair[]; b: Pair[] }> }>('overlaps')
  for (const p of f.pairs) {
    const a = new RegionRing(p.a.map(ll))
    const b = new RegionRing(p.b.map(ll))
    t.equal(regionsOverlap(a, b), p.overlap, `${p.why} (a, b)`)
    t.equal(regionsOverlap(b, a), p.overlap, `${p.why} (b, a)`)
    const problems = regionProblems([
      { id: 'a', polygon: p.a.map(ll) },
      { id: 'b', polygon: p.b.map(ll) },
    ])
    t.same(
      problems.map((x) => [x.path, x.message]),
      p.overlap ? [[[1, 'polygon'], 'overlaps region "a" (regions[0]); regions may share edges but not area']] : [],
      `${p.why}: regionProblems`,
    )
  }
})
