import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import t from 'tap'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import { CityFleet } from '../loadgen/CityFleet.js'
import { describeFrames, frameFigures, type MapStats } from '../loadgen/frameFigures.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'
import { launchChromium, screenshot, watchProblems } from './helpers/chromium.js'
import type { PageDocument } from './helpers/pageDom.js'
import { startTestService } from './helpers/service.js'

// The operator's live map in headless Chromium, over the real service (embedded broker, engine, gateway):
// 10,000 drones report once a second as one batch frame, as the simulator's would, and the page draws /v1/fleet.

declare const document: PageDocument
interface MapWindow {
  operatorMap: {
    stats(): MapStats
    reset(): void
    screenOf(id: string): { x: number; y: number } | null
    deliveryAt(id: string): { x: number; y: number } | null
  }
}
declare const window: MapWindow
declare function requestAnimationFrame(callback: () => void): number

const KEY = 'map-test-key'
const DRONES = 10_000
const CENTER = { lat: 47.61, lon: -122.33 }
const NORTH_EDGE = CENTER.lat + 10_300 / 111_320 // just north of the grid's last row
// Two cruising drones fall silent after their first reports: the engine declares them lost.
const cruising = Array.from({ length: DRONES }, (_, i) => i).filter((i) => CityFleet.stateOf(i) === 'cruise')
const SILENT = new Set(cruising.slice(-2))

const scenario = parseScenario(
  `
name: operator-map
seed: 1
duration: 1 h
tick: 1 s
depots:
  - { id: centre, position: [${CENTER.lat}, ${CENTER.lon}], drones: 1 }
  - { id: north, position: [${NORTH_EDGE + 0.01}, ${CENTER.lon}], drones: 1 }
demand:
  rate: 0.0001 /h
  area: { center: [${CENTER.lat}, ${CENTER.lon}], radius: 2 km }
`,
  'operator-map.yaml',
)
const service = await startTestService(scenario, KEY)
const T = service.topics
const http = service.gateway.httpUrl
const pub = await connectMqtt(service.brokerUrl, clientId('map-test'))
const fleet = new CityFleet(DRONES, CENTER)
let sent = 0
const publishFrame = (): void => {
  const first = sent++ < 3
  pub.publish(T.telemetryBatch(0), Buffer.from(fleet.frame(Date.now(), (i) => first || !SILENT.has(i))), { qos: 0 })
}
publishFrame()
const timer = setInterval(publishFrame, 1000)
t.teardown(async () => {
  clearInterval(timer)
  await pub.endAsync()
  await service.close()
})
const api = async (method: string, path: string, body?: unknown): Promise<Response> =>
  fetch(`${http}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })

// Zones, and deliveries along the grid's north edge (drop-offs beyond it, where no drone is drawn over them).
const box = (lat: number, lon: number, dLat: number, dLon: number) => [
  { lat, lon },
  { lat, lon: lon + dLon },
  { lat: lat + dLat, lon: lon + dLon },
  { lat: lat + dLat, lon },
]
await api('POST', '/v1/zones', { id: 'harbour', name: 'Harbour no-fly', polygon: box(CENTER.lat - 0.06, CENTER.lon + 0.05, 0.02, 0.03) })
await api('POST', '/v1/zones', {
  id: 'school',
  name: 'School (watched)',
  noFly: false,
  polygon: box(CENTER.lat + 0.03, CENTER.lon - 0.09, 0.015, 0.02),
})
const deliveryIds: string[] = []
for (let k = 0; k < 12; k++) {
  const lon = CENTER.lon - 0.1 + k * 0.017
  const res = await api('POST', '/v1/deliveries', {
    pickup: { lat: NORTH_EDGE - 0.0015, lon },
    dropoff: { lat: NORTH_EDGE + 0.012, lon: lon + 0.004 },
    weightKg: 1,
  })
  deliveryIds.push(((await res.json()) as { id: string }).id)
}

/** The number of canvas pixels of exactly this colour. */
function pixelsOf(page: Page, rgb: [number, number, number]): Promise<number> {
  return page.evaluate((rgb) => {
    const c = document.getElementById('map') as unknown as {
      width: number
      height: number
      getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }
    }
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
    let n = 0
    for (let i = 0; i < data.length; i += 4) if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) n++
    return n
  }, rgb)
}
const CRUISE: [number, number, number] = [0x25, 0x63, 0xeb]
const IDLE: [number, number, number] = [0x6b, 0x72, 0x80]

t.test('GET /map is a self-contained page; what it shows needs the API key', async (t) => {
  const res = await fetch(`${http}/map`)
  t.equal(res.status, 200)
  const csp = res.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'none'/)
  t.match(csp, /connect-src 'self' ws: wss:/, 'it talks to the gateway only')
  t.notMatch(csp, /img-src/, 'no tiles unless configured')
  t.notMatch(await res.text(), /<(script|link|img)[^>]+(src|href)=/i)
  t.equal((await fetch(`${http}/v1/zones`)).status, 401, 'the data it draws is behind the key')
})

t.test('in Chromium: 10,000 drones drawn by state on a canvas, zones, deliveries, filters, details; frame time', async (t) => {
  const browser = await launchChromium(t)
  if (!browser) return
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' })
  context.setDefaultTimeout(150_000)
  const page = await context.newPage()
  const problems = watchProblems(page)

  // Without a key the page asks for one, and says when one is wrong.
  await page.goto(`${http}/map`)
  await page.waitForSelector('#login:not([hidden])')
  await page.fill('#key', 'not-the-key')
  await page.click('#login button[type=submit]')
  await page.waitForFunction(() => document.getElementById('login-error')?.textContent === 'That key was not accepted.')
  t.pass('a wrong key is refused, saying so')
  await page.fill('#key', KEY)
  await page.click('#login button[type=submit]')
  await page.waitForSelector('#login', { state: 'hidden' })
  await page.waitForSelector(`#summary[data-drones="${DRONES}"]`)
  t.pass('the right key opens the map')

  // A key in the URL fragment (never sent to the server) works too, and leaves the address bar.
  const map = await context.newPage()
  const mapProblems = watchProblems(map)
  await map.goto(`${http}/map#key=${KEY}`)
  t.notMatch(map.url(), /key=/, 'the key is taken out of the address bar')
  await map.waitForSelector(`#summary[data-drones="${DRONES}"]`)
  await page.close()
  // Chromium logs the wrong key's 401 answer as a console error: that one was asked for.
  t.same(
    problems.filter((p) => !/status of 401/.test(p)),
    [],
    'no script errors or CSP violations on the first page',
  )

  const count = (state: string): Promise<string> => map.$eval(`#count-${state}`, (el) => el.textContent ?? '')
  // Each drone under the state it reports; the two silent ones count as lost once the engine says so.
  await map.waitForFunction(() => document.getElementById('count-lost')?.textContent === '2')
  const states = ['idle', 'charging', 'takeoff', 'cruise', 'hover', 'landing', 'returning', 'failed', 'lost']
  const want: Record<string, string> = {}
  const shown: Record<string, string> = {}
  for (const s of states) {
    const n = Array.from({ length: DRONES }, (_, i) => i).filter((i) => CityFleet.stateOf(i) === s && !SILENT.has(i)).length
    want[s] = (s === 'lost' ? SILENT.size : n).toLocaleString('en-US')
    shown[s] = await count(s)
  }
  t.same(shown, want, 'every drone counted under its state')
  t.match(await map.textContent('#summary'), /^10,000 drones · [\d,]+ flying · 2 lost · \d+ deliveries in progress$/)
  await map.waitForFunction(() => document.getElementById('zone-count')?.textContent === '2')
  await map.waitForFunction(() => Number(document.getElementById('delivery-count')?.dataset.count) > 0)

  // Drawn, not just counted: a cruising drone's dot is the cruising colour. Read right after a frame the page drew,
  // within 3 px of where it says (a drone glides between fleet frames; on a busy machine a frame can be late).
  const drawn = await map.evaluate(
    async ([id, rgb]) => {
      await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())))
      const p = window.operatorMap.screenOf(id)
      const c = document.getElementById('map') as unknown as {
        getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }
      }
      if (!p) return null
      const d = c.getContext('2d').getImageData(Math.round(p.x) - 3, Math.round(p.y) - 3, 7, 7).data
      for (let k = 0; k < d.length; k += 4) if (d[k] === rgb[0] && d[k + 1] === rgb[1] && d[k + 2] === rgb[2]) return rgb
      return [...d.slice(24 * 4, 24 * 4 + 3)]
    },
    [`d-${cruising[0]}`, CRUISE] as const,
  )
  t.same(drawn, CRUISE, `drone d-${cruising[0]} is drawn where the page says, in the cruising colour`)
  t.comment(`screenshot: ${await screenshot(map, 'operator-map-10k', false)}`)

  // The frame time with 10,000 drones gliding between fleet frames (the figure is a measurement, not a test).
  await map.evaluate(() => window.operatorMap.reset())
  await map.waitForFunction(() => window.operatorMap.stats().fleetFrames >= 10, undefined, { polling: 500 })
  const figures = frameFigures(await map.evaluate(() => window.operatorMap.stats()))
  t.equal(figures.drones, DRONES)
  t.ok(figures.frames > figures.fleetFrames, 'it animates between fleet frames')
  const out = fileURLToPath(new URL('../../results/', import.meta.url))
  mkdirSync(out, { recursive: true })
  writeFileSync(`${out}operator-map-frames.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...figures }, null, 2)}\n`)
  t.comment(`operator map: ${describeFrames(figures)} (results/operator-map-frames.json)`)

  // Filters: cruising drones off, and no pixel is their colour; the others are still drawn.
  t.ok((await pixelsOf(map, CRUISE)) > 1000, 'cruising drones are on the canvas')
  await map.uncheck('#show-cruise')
  await map.waitForFunction((id) => window.operatorMap.screenOf(id) === null, `d-${cruising[0]}`)
  t.equal(await pixelsOf(map, CRUISE), 0, 'filtered out: none drawn')
  t.ok((await pixelsOf(map, IDLE)) > 1000, 'idle drones still drawn')
  await map.check('#show-cruise')

  // Click a drone for its details.
  const canvasBox = (await map.$('#map').then((c) => c?.boundingBox())) as { x: number; y: number }
  const n = cruising[50] as number
  // Shown again from the next frame drawn: wait for it rather than read the frame before.
  const at = (await (await map.waitForFunction((id) => window.operatorMap.screenOf(id), `d-${n}`)).jsonValue()) as { x: number; y: number }
  await map.mouse.click(canvasBox.x + at.x, canvasBox.y + at.y)
  await map.waitForSelector(`#details[data-kind="drone"][data-id="d-${n}"]`)
  const battery = Math.round((0.3 + (n % 70) / 100) * 100)
  t.match(
    await map.textContent('#details'),
    new RegExp(`Drone d-${n}.*State.*Cruising.*Battery${battery} %.*Speed12\\.0 m/s`, 's'),
    'its state, battery, speed',
  )
  t.equal(await map.textContent('#announce'), `Selected drone d-${n}, Cruising, battery ${battery} percent`, 'announced to screen readers')

  // Keyboard: + zooms in around the centre, 0 fits the fleet again.
  const spread = async (): Promise<number> => {
    const [a, b] = await map.evaluate(() => [window.operatorMap.screenOf('d-5050'), window.operatorMap.screenOf('d-5051')])
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : Number.NaN
  }
  const before = await spread()
  await map.focus('#map')
  await map.keyboard.press('+')
  await map.waitForFunction((b) => {
    const [a, c] = [window.operatorMap.screenOf('d-5050'), window.operatorMap.screenOf('d-5051')]
    return a && c && Math.hypot(a.x - c.x, a.y - c.y) > b * 1.2
  }, before)
  t.pass(`+ zoomed in (${before.toFixed(1)} px between neighbours before)`)
  await map.keyboard.press('0')

  // Click a delivery's drop-off for its details, and issue its customer a tracking link.
  const listed = (await (await api('GET', '/v1/deliveries?limit=50')).json()) as { items: Array<{ id: string; status: string }> }
  const active = listed.items.find((d) => ['Created', 'HeadedToPickup', 'HeadedToDropoff'].includes(d.status))
  if (!active) throw new Error(`no delivery in progress: ${JSON.stringify(listed.items.map((d) => d.status))}`)
  await map.waitForFunction((id) => window.operatorMap.deliveryAt(id) !== null, active.id)
  const drop = (await map.evaluate((id) => window.operatorMap.deliveryAt(id), active.id)) as { x: number; y: number }
  await map.mouse.click(canvasBox.x + drop.x, canvasBox.y + drop.y)
  await map.waitForSelector(`#details[data-kind="delivery"][data-id="${active.id}"] dd[data-field="status"]`)
  t.match(await map.textContent('#details dd[data-field="status"]'), /\((Created|HeadedToPickup|HeadedToDropoff)\)$/, 'its status')
  await map.click('#details button:has-text("Issue a tracking link")')
  await map.waitForSelector('#tracking-link')
  const href = (await map.getAttribute('#tracking-link', 'href')) ?? ''
  t.match(href, new RegExp(`^${http}/track/${active.id}\\?token=`), 'a tracking link for its customer')
  t.equal((await fetch(href)).status, 200, 'which opens the tracking page')
  t.comment(`screenshot: ${await screenshot(map, 'operator-map-delivery', false)}`)
  t.same(mapProblems, [], 'no script errors or CSP violations')
})
