import { readFileSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import { decodeBatch } from '../protocol/batchCodec.js'
import { decodeClock } from '../protocol/clock.js'
import { DEFAULT_REGION, topics } from '../protocol/topics.js'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { simulate } from '../service/simulate.js'
import { startService } from '../service/startService.js'
import { DemandGenerator } from '../sim/demand.js'
import { FleetRegions } from '../sim/FleetRegions.js'
import { droneId } from '../sim/FleetState.js'
import type { RunResults } from '../sim/report/runResults.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'
import type { Scenario } from '../sim/scenario/Scenario.js'
import { fleetShards, SHARD_DRONES, shardCount, shardRange } from '../sim/shards.js'
import { Simulator } from '../sim/Simulator.js'
import { silent } from './helpers/service.js'

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url))
const CITIES = readFileSync(repo('scenarios/three-cities.yaml'), 'utf8')
const REGIONS = ['seattle', 'kirkland', 'bellevue']

/** three-cities with other settings (the keys given replace the file's lines). */
function cities(over: Record<string, string> = {}): Scenario {
  let text = CITIES
  for (const [key, value] of Object.entries(over)) text = text.replace(new RegExp(`^( *)${key}: .*$`, 'm'), `$1${key}: ${value}`)
  return parseScenario(text, 'three-cities.yaml')
}

/** Which region each drone of the scenario is in, by its id. */
function regionOfDrones(s: Scenario): Map<string, string> {
  const all = new FleetRegions(s)
  const out = new Map<string, string>()
  let i = 0
  for (const d of s.depots) {
    const r = all.map.regionOf(d.position.lat, d.position.lon)!
    for (let k = 0; k < d.drones; k++) out.set(droneId(i++), r)
  }
  return out
}

t.test('shards: cut at region boundaries, numbered across the fleet; one region is the layout it always was', async (t) => {
  for (const n of [0, 1, 999, 1000, 10_500]) {
    const shards = fleetShards(n === 0 ? [] : [{ region: DEFAULT_REGION, from: 0, to: n }])
    t.equal(shards.length, shardCount(n), `${n} drones`)
    shards.forEach((sh, k) => t.same([sh.id, sh.from, sh.to], [k, ...shardRange(k, n)], `${n} drones, shard ${k}`))
  }
  const mixed = fleetShards(
    [
      { region: 'a', from: 0, to: 25 },
      { region: 'b', from: 25, to: 30 },
      { region: 'a', from: 30, to: 42 },
    ],
    10,
  )
  t.same(
    mixed.map((sh) => [sh.id, sh.region, sh.from, sh.to]),
    [
      [0, 'a', 0, 10],
      [1, 'a', 10, 20],
      [2, 'a', 20, 25],
      [3, 'b', 25, 30],
      [4, 'a', 30, 40],
      [5, 'a', 40, 42],
    ],
  )
})

t.test("the engine of a scenario with regions listens to each of them, and to the default region's requests", async (t) => {
  t.same(scenarioEngineOptions(cities()).regions, [DEFAULT_REGION, ...REGIONS])
  t.notOk('regions' in scenarioEngineOptions(parseScenario(CITIES.replace(/^regions:[\s\S]*?^depots:/m, 'depots:'))), 'none without')
})

t.test('FleetRegions: drones by their depot, shards of one region each, the demand of the regions flown', async (t) => {
  // Depots interleaved: seattle, kirkland, seattle; an empty bellevue depot in between.
  const s = parseScenario(
    CITIES.replace(
      /^depots:[\s\S]*?^demand:/m,
      'depots:\n' +
        '  - { id: s1, position: [47.625, -122.338], drones: 1500 }\n' +
        '  - { id: k, position: [47.677, -122.206], drones: 3 }\n' +
        '  - { id: b, position: [47.615, -122.195], drones: 0 }\n' +
        '  - { id: s2, position: [47.592, -122.327], drones: 2 }\n' +
        'demand:',
    ),
  )
  const all = new FleetRegions(s)
  t.same(all.flying, REGIONS)
  t.equal(all.count, 1505)
  t.same(
    all.shards.map((sh) => [sh.id, sh.region, sh.from, sh.to]),
    [
      [0, 'seattle', 0, SHARD_DRONES],
      [1, 'seattle', SHARD_DRONES, 1500],
      [2, 'kirkland', 1500, 1503],
      [3, 'seattle', 1503, 1505],
    ],
  )
  const east = new FleetRegions(s, ['bellevue', 'kirkland'])
  t.same(east.flying, ['kirkland', 'bellevue'], "in the scenario's order")
  t.equal(east.count, 3)
  t.same(
    east.shards.map((sh) => sh.id),
    [2],
    'the same shard numbers as in a simulator flying everything',
  )
  t.same(
    [...east.flown.keys()].filter((i) => east.flown[i] === 1),
    [1500, 1501, 1502],
  )
  t.ok(east.ownsPickup({ lat: 47.677, lon: -122.206 }))
  t.notOk(east.ownsPickup({ lat: 47.625, lon: -122.338 }))
  t.notOk(east.ownsPickup({ lat: 10, lon: 10 }), 'outside every region: nobody')
  const plain = new FleetRegions(parseScenario(CITIES.replace(/^regions:[\s\S]*?^depots:/m, 'depots:')))
  t.same(plain.flying, [DEFAULT_REGION])
  t.ok(plain.ownsPickup({ lat: 10, lon: 10 }), 'without regions the default one holds the world')
})

t.test('the simulator refuses regions its scenario does not have, naming the value', async (t) => {
  const s = cities()
  const o = { scenario: s, mqtt: {} as never, topics: topics(), workers: 1, submit: async () => 'x' }
  t.throws(() => new Simulator({ ...o, regions: ['seattle', 'tacoma'] }), {
    code: 'DF_OPTION_INVALID',
    field: 'regions',
    value: 'tacoma',
    message: /Simulator option regions must be a non-empty list of the scenario's regions \(seattle, kirkland, bellevue\), got "tacoma"/,
  })
  t.throws(() => new Simulator({ ...o, regions: [] }), { code: 'DF_OPTION_INVALID', field: 'regions' })
})

/** A service whose one engine listens to every region of `s` (and to the default one, where the gateway sends requests), as `run`'s does. */
async function regionService(t: Test, s: Scenario) {
  const service = await startService({
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey: 'test-key',
    ...scenarioEngineOptions(s),
    logger: silent,
  })
  t.teardown(() => service.close())
  // What goes over the broker: the topics each frame and clock went out on.
  const recorder = await connectMqtt(service.brokerUrl, clientId('recorder'))
  t.teardown(() => recorder.endAsync())
  const frames: Array<{ topic: string; drones: string[]; seqs: number[] }> = []
  const clocks: Array<{ topic: string; t: number }> = []
  const other = new Set<string>()
  recorder.on('message', (topic, payload) => {
    if (topic.includes('/telemetry-batch/')) {
      const r = decodeBatch(payload)
      frames.push({
        topic,
        drones: Array.from({ length: r.count }, (_, j) => `d-${r.drone(j)}`),
        seqs: Array.from({ length: r.count }, (_, j) => r.seq(j)),
      })
    } else if (topic.endsWith('/sim/clock') || topic.endsWith('/engine/watermark')) clocks.push({ topic, t: decodeClock(payload)!.t })
    else if (!topic.includes('/deliveries/') && !topic.includes('/commands/') && !topic.includes('/engine/probe/')) other.add(topic)
  })
  await recorder.subscribeAsync('#', { qos: 1 })
  return { service, frames, clocks, other }
}

t.test('one simulator, three regions, in lockstep: each region on its own topics, frames never mixing them', async (t) => {
  const s = cities({ duration: '4 min', rate: '300 /h' })
  const { service, frames, clocks, other } = await regionService(t, s)
  const out = await mkdtemp(join(tmpdir(), 'dronefleet-regions-'))
  const { results } = await simulate({
    scenario: s,
    brokerUrl: service.brokerUrlFor('sim'),
    gatewayUrl: service.gateway.httpUrl,
    apiKey: 'test-key',
    topics: service.topics,
    workers: 2,
    out,
    logger: silent,
  })
  const regionOf = regionOfDrones(s)
  const prefix = topics().prefix
  t.ok(frames.length >= 3 * 240, `${frames.length} frames`)
  const seen = new Map<string, number[]>()
  for (const f of frames) {
    const m = new RegExp(`^${prefix}/regions/([a-z]+)/telemetry-batch/\\d+$`).exec(f.topic)
    if (!m) {
      t.fail(`a frame on ${f.topic}`)
      continue
    }
    const wrong = f.drones.filter((d) => regionOf.get(d) !== m[1])
    if (wrong.length > 0) t.fail(`${f.topic} carries ${wrong.join(', ')}`)
    f.drones.forEach((d, j) => seen.set(d, [...(seen.get(d) ?? []), f.seqs[j]!]))
  }
  t.equal(seen.size, 15, 'every drone reported')
  t.ok(
    [...seen.values()].every((seqs) => seqs.length === 240 && seqs.every((q, k) => q === k + 1)),
    'each drone once per tick, in order',
  )
  t.same(
    [...other].filter((topic) => topic.includes('/telemetry')),
    [],
    'no telemetry on any other topic',
  )
  for (const r of REGIONS) {
    const clock = clocks.filter((c) => c.topic === `${prefix}/regions/${r}/sim/clock`).map((c) => c.t)
    const marks = clocks.filter((c) => c.topic === `${prefix}/regions/${r}/engine/watermark`).map((c) => c.t)
    t.ok(clock.includes(s.start + 240_000), `${r}: the last tick's clock`)
    t.ok(marks.includes(s.start + 240_000), `${r}: its watermark`)
  }
  t.notOk(
    clocks.some((c) => c.topic === `${prefix}/sim/clock`),
    'no clock on the default region, which nobody flies',
  )
  t.ok(results.summary.requested >= 10, `${results.summary.requested} requested`)
  t.same(results.scenario.flownRegions, REGIONS)
  t.equal(results.drones.length, 15)
  const written = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults
  t.same(
    written.scenario.regions?.map((r) => r.id),
    REGIONS,
  )
})

t.test('two simulators split one fleet by region: each flies its drones and makes its demand, nothing twice', async (t) => {
  // Real time (×4): two simulators in lockstep with one engine keep each other's clocks close.
  const s = cities({ duration: '40 s', rate: '900 /h', speed: '4' })
  const { service, frames } = await regionService(t, s)
  const [w, e] = await Promise.all([simulateRegions(service, s, ['seattle']), simulateRegions(service, s, ['kirkland', 'bellevue'])])
  const regionOf = regionOfDrones(s)
  t.ok(
    w.results.drones.every((d) => regionOf.get(d.id) === 'seattle') && w.results.drones.length === 7,
    "the west flies seattle's 7 drones",
  )
  t.ok(e.results.drones.every((d) => regionOf.get(d.id) !== 'seattle') && e.results.drones.length === 8, 'the east flies the other 8')
  // The demand they made between them is the scenario's, each request made once, by the region of its pickup.
  const all = new FleetRegions(s)
  const gen = new DemandGenerator(s)
  const expected = gen.until(s.start + (s.durationS - s.tickS) * 1000)
  const westWant = expected.filter((a) => all.map.regionOf(a.pickup.lat, a.pickup.lon) === 'seattle').length
  t.ok(expected.length >= 5, `${expected.length} requests in the scenario`)
  t.equal(w.results.summary.requested, westWant, `the west made the ${westWant} picked up in seattle`)
  t.equal(e.results.summary.requested, expected.length - westWant, 'the east the rest')
  for (const d of w.results.deliveries) t.equal(all.map.regionOf(d.pickup.lat, d.pickup.lon), 'seattle')
  for (const d of e.results.deliveries) t.not(all.map.regionOf(d.pickup.lat, d.pickup.lon), 'seattle')
  // Each flew the missions of its own drones only, whoever's request they were (one engine holds every region here).
  const missions = async (dir: string) =>
    (
      JSON.parse(await readFile(join(dir, 'routes.geojson'), 'utf8')) as {
        features: Array<{ properties: { droneId?: string } }>
      }
    ).features.flatMap((f) => (f.properties.droneId ? [f.properties.droneId] : []))
  const [wm, em] = [await missions(w.outDir), await missions(e.outDir)]
  t.ok(wm.length + em.length > 0, `${wm.length} + ${em.length} missions flown`)
  t.ok(
    wm.every((d) => regionOf.get(d) === 'seattle') && em.every((d) => regionOf.get(d) !== 'seattle'),
    "a command for another simulator's drone is left to it",
  )
  // No drone was flown twice: each reported once per tick, by one simulator.
  const seqs = new Map<string, number[]>()
  for (const f of frames) f.drones.forEach((d, j) => seqs.set(d, [...(seqs.get(d) ?? []), f.seqs[j]!]))
  t.equal(seqs.size, 15)
  t.ok(
    [...seqs.values()].every((q) => q.length === 40 && q.every((x, k) => x === k + 1)),
    'each drone once per tick',
  )
})

/** `simulate` for some regions of `s`, results in a directory of its own. */
async function simulateRegions(service: Awaited<ReturnType<typeof startService>>, s: Scenario, regions: string[]) {
  const out = await mkdtemp(join(tmpdir(), `dronefleet-${regions.join('-')}-`))
  return simulate({
    scenario: s,
    regions,
    brokerUrl: service.brokerUrlFor('sim'),
    gatewayUrl: service.gateway.httpUrl,
    apiKey: 'test-key',
    topics: service.topics,
    workers: 1,
    out,
    logger: silent,
  })
}
