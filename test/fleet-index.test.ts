import t from 'tap'
import { FleetIndex } from '../engine/FleetIndex.js'
import { haversineM } from '../protocol/geo.js'

interface Item {
  id: string
  busy: boolean
}

const all = (): boolean => true
const ids = (rs: Array<{ item: Item }>): string[] => rs.map((r) => r.item.id)

function indexOf(points: Array<[id: string, lat: number, lon: number, busy?: boolean]>): FleetIndex<Item> {
  const ix = new FleetIndex<Item>()
  for (const [id, lat, lon, busy] of points) ix.set(id, lat, lon, { id, busy: busy ?? false })
  return ix
}

t.test('nearest ranks by great-circle distance at high latitude, where degrees would misrank', async (t) => {
  // At 70°N a degree of longitude is a third of a degree of latitude.
  const q = { lat: 70, lon: 20 }
  const ix = indexOf([
    ['north', 70.25, 20], // 0.25°, ~27.8 km
    ['east', 70, 20.5], // 0.5°, ~19.0 km
    ['far-east', 70, 21.2], // 1.2°, ~45.6 km
  ])
  const east = haversineM(q.lat, q.lon, 70, 20.5)
  const north = haversineM(q.lat, q.lon, 70.25, 20)
  t.ok(east < north, 'the test geometry: east is nearer on the ground, north is nearer in degrees')
  const r = ix.nearest(q.lat, q.lon, 3, all)
  t.same(ids(r), ['east', 'north', 'far-east'])
  t.ok(Math.abs(r[0]!.distanceM - east) < 1e-6, 'distanceM is the great-circle distance')
  for (let i = 1; i < r.length; i++) t.ok(r[i]!.distanceM >= r[i - 1]!.distanceM, 'sorted nearest first')
  t.same(ids(ix.nearest(q.lat, q.lon, 1, all)), ['east'])
})

t.test('nearest finds the great-circle nearest even when many items are nearer in degrees', async (t) => {
  // At 70°N, ten items 0.3° north (~33 km) are all nearer in degrees than one
  // item 0.5° east (~19 km): a kNN by degrees alone would never reach it.
  const q = { lat: 70, lon: 20 }
  const ix = new FleetIndex<Item>()
  for (let i = 0; i < 10; i++) ix.set(`north-${i}`, 70.3, 20 + i * 0.001, { id: `north-${i}`, busy: false })
  ix.set('east', 70, 20.5, { id: 'east', busy: false })
  for (const k of [1, 2, 3]) {
    const r = ix.nearest(q.lat, q.lon, k, all)
    t.equal(r.length, k)
    t.equal(r[0]?.item.id, 'east', `k=${k}: got ${r[0]?.item.id} at ${Math.round(r[0]?.distanceM ?? 0)} m`)
  }
  // The same when the filter hides the degree-nearest items.
  ix.set('east-busy', 70, 20.4, { id: 'east-busy', busy: true })
  t.same(ids(ix.nearest(q.lat, q.lon, 1, (i) => !i.busy)), ['east'])
})

t.test('nearest works across the antimeridian', async (t) => {
  // 0.002° of longitude at the equator is ~222 m, across the ±180° line.
  const ix = indexOf([
    ['across', 0, -179.999],
    ['same-side', 0, 179.9],
  ])
  const r = ix.nearest(0, 179.999, 1, all)
  t.same(ids(r), ['across'], `got ${r[0]?.item.id} at ${Math.round(r[0]?.distanceM ?? 0)} m`)
  t.same(ids(ix.within(0, 179.999, 1000)), ['across'], 'within 1 km')
  t.same(ids(ix.within(0, -179.999, 1000)), ['across'], 'within 1 km of itself, from the west side')
  t.same(ids(ix.within(0, -179.9995, 20_000)), ['across', 'same-side'], 'both, nearest first, from the other side')
})

t.test('nearest respects the filter and k', async (t) => {
  const ix = indexOf([
    ['a', 47.6, -122.33, true],
    ['b', 47.601, -122.33],
    ['c', 47.602, -122.33, true],
    ['d', 47.603, -122.33],
    ['e', 47.604, -122.33],
    ['f', 47.605, -122.33],
  ])
  const free = (i: Item): boolean => !i.busy
  t.same(ids(ix.nearest(47.6, -122.33, 10, free)), ['b', 'd', 'e', 'f'])
  t.same(ids(ix.nearest(47.6, -122.33, 2, free)), ['b', 'd'])
  t.same(ids(ix.nearest(47.6, -122.33, 3, all)), ['a', 'b', 'c'])
  t.same(ix.nearest(47.6, -122.33, 0, all), [])
  t.same(
    ix.nearest(47.6, -122.33, 3, () => false),
    [],
  )
})

t.test('within respects the filter', async (t) => {
  const ix = indexOf([
    ['a', 47.6, -122.33, true],
    ['b', 47.601, -122.33],
    ['c', 47.602, -122.33, true],
  ])
  t.same(ids(ix.within(47.6, -122.33, 1000, (i) => !i.busy)), ['b'])
  t.same(ids(ix.within(47.6, -122.33, 1000, (i) => i.busy)), ['a', 'c'])
})

t.test('an empty index finds nothing', async (t) => {
  const ix = new FleetIndex<Item>()
  t.equal(ix.size, 0)
  t.same(ix.nearest(0, 0, 5, all), [])
  t.same(ix.within(0, 0, 1e6), [])
})

t.test('moving an item (set twice) leaves exactly one entry, at the new place', async (t) => {
  const ix = indexOf([
    ['a', 47.6, -122.33],
    ['b', 47.61, -122.33],
  ])
  ix.set('a', 47.62, -122.33, { id: 'a', busy: false })
  t.equal(ix.size, 2)
  const r = ix.nearest(47.62, -122.33, 10, all)
  t.same(ids(r), ['a', 'b'], 'each id once, a first at its new position')
  t.ok(r[0]!.distanceM < 1e-6)
  t.same(ids(ix.within(47.6, -122.33, 500)), [], 'nothing is left at the old position')
})

t.test('setting an item at the same position replaces the item', async (t) => {
  const ix = indexOf([['a', 47.6, -122.33]])
  ix.set('a', 47.6, -122.33, { id: 'a', busy: true })
  t.equal(ix.size, 1)
  t.same(
    ix.nearest(47.6, -122.33, 1, (i) => !i.busy),
    [],
    'the filter sees the new item',
  )
  t.equal(ix.nearest(47.6, -122.33, 1, all)[0]?.item.busy, true)
})

t.test('many moves keep the index consistent', async (t) => {
  const ix = new FleetIndex<Item>()
  for (let step = 0; step < 50; step++) {
    for (let i = 0; i < 20; i++) ix.set(`d-${i}`, 47.6 + i * 0.001 + step * 0.0001, -122.33, { id: `d-${i}`, busy: false })
  }
  t.equal(ix.size, 20)
  const r = ix.nearest(47.6, -122.33, 100, all)
  t.equal(r.length, 20)
  t.equal(new Set(ids(r)).size, 20)
})

t.test('delete removes an item; deleting an unknown id is a no-op', async (t) => {
  const ix = indexOf([
    ['a', 47.6, -122.33],
    ['b', 47.601, -122.33],
  ])
  ix.delete('a')
  ix.delete('nope')
  t.equal(ix.size, 1)
  t.same(ids(ix.nearest(47.6, -122.33, 5, all)), ['b'])
  ix.delete('b')
  t.equal(ix.size, 0)
  t.same(ix.nearest(47.6, -122.33, 5, all), [])
})

t.test('within returns exactly the items inside the radius, nearest first', async (t) => {
  // Along a meridian 0.001° of latitude is ~111 m; along the parallel at 60°N half that.
  const ix = indexOf([
    ['n100', 60.0009, 10], // ~100 m
    ['e150', 60, 10.0027], // ~150 m
    ['n300', 60.0027, 10], // ~300 m
    ['e1000', 60, 10.018], // ~1000 m
  ])
  const dist = (lat: number, lon: number): number => haversineM(60, 10, lat, lon)
  t.ok(dist(60, 10.018) > 995 && dist(60, 10.018) < 1005, 'the test geometry')
  t.same(ids(ix.within(60, 10, 120)), ['n100'])
  t.same(ids(ix.within(60, 10, 200)), ['n100', 'e150'])
  t.same(ids(ix.within(60, 10, 400)), ['n100', 'e150', 'n300'])
  t.same(ids(ix.within(60, 10, 1100)), ['n100', 'e150', 'n300', 'e1000'])
  t.same(ids(ix.within(60, 10, 50)), [])
  for (const r of ix.within(60, 10, 1100)) t.ok(r.distanceM <= 1100)
})

t.test('within at high latitude includes items east and west inside the radius', async (t) => {
  // At 75°N the longitude box must be ~3.9 times wider than the latitude one.
  const d = 0.03 // ~863 m of longitude at 75°N
  const ix = indexOf([
    ['w', 75, 10 - d],
    ['e', 75, 10 + d],
    ['n', 75.0077, 10],
  ])
  const r = ix.within(75, 10, 900)
  t.same(ids(r).sort(), ['e', 'n', 'w'])
})

t.test('nearest reaches no farther than maxM, at any latitude', async (t) => {
  for (const lat of [0, 47.6, 70]) {
    const east = (m: number): number => 10 + m / (111_195 * Math.cos((lat * Math.PI) / 180))
    const ix = indexOf([
      ['a', lat, east(900)],
      ['b', lat, east(1100)],
      ['c', lat + 1500 / 111_195, 10],
    ])
    t.same(ids(ix.nearest(lat, 10, 3, all, 1000)), ['a'], `at ${lat}°: only the point within 1 km`)
    t.same(ids(ix.nearest(lat, 10, 3, all, 2000)), ['a', 'b', 'c'], `at ${lat}°: all three within 2 km`)
  }
})
