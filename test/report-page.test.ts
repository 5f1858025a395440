import { mkdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Page } from 'playwright-core'
import t from 'tap'
import { haversineM } from '../protocol/geo.js'
import type { RunResults } from '../sim/report/runResults.js'
import { launchChromium, SCREENSHOTS, screenshot, watchProblems } from './helpers/chromium.js'
import { runCli } from './helpers/cli.js'
import type { PageDocument, PageElement } from './helpers/pageDom.js'
import { until } from './helpers/until.js'

// report.html as `dronefleet run` writes it, opened from disk in headless Chromium: the map's legend, depot
// names and scale bar, values on hover and from the keyboard, and nothing loaded from anywhere (tiles only
// from the operator's tile server, when DRONEFLEET_BASEMAP_URL names one).

declare const document: PageDocument

const DEPOTS = { 'north-hub': [47.625, -122.338], harbour: [47.592, -122.327] } as const
const SCENARIO = [
  'name: report-page',
  'seed: 7',
  'start: 2026-01-05T09:00:00Z',
  'duration: 12 min',
  'speed: max',
  'tick: 1 s',
  'depots:',
  ...Object.entries(DEPOTS).map(([id, [lat, lon]]) => `  - { id: ${id}, position: [${lat}, ${lon}], drones: 4 }`),
  'zones:',
  '  - id: stadium',
  '    name: Lumen Field',
  '    polygon: [[47.5935, -122.3340], [47.5975, -122.3340], [47.5975, -122.3300], [47.5935, -122.3300]]',
  'demand:',
  '  rate: 240 /h',
  '  area: { center: [47.607, -122.332], radius: 2 km }',
  '',
].join('\n')

const dir = await mkdtemp(join(tmpdir(), 'df-report-page-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))
const scenarioFile = join(dir, 'report-page.yaml')
await writeFile(scenarioFile, SCENARIO)

/** `dronefleet run` of the scenario into `out`; its results. */
async function run(out: string, env: NodeJS.ProcessEnv = {}): Promise<RunResults> {
  const r = await runCli(['run', scenarioFile, '--out', out, '--workers', '1'], env)
  if (r.code !== 0) throw new Error(`run exited ${r.code}: ${r.stdout.slice(-600)} ${r.stderr.slice(-600)}`)
  return JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults
}

const text = (page: Page, selector: string): Promise<string[]> =>
  page.$$eval(selector, (els) => els.map((e) => ((e as unknown as PageElement).textContent ?? '').trim()))

t.test('the report is one file that runs only its own script and style and loads nothing', async (t) => {
  const out = join(dir, 'plain')
  const results = await run(out)
  t.ok(results.summary.requested > 5, `deliveries were requested (${results.summary.requested})`)
  const html = await readFile(join(out, 'report.html'), 'utf8')
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)?.[1] ?? ''
  t.match(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[A-Za-z0-9+/=]+';/, 'its own policy')
  t.notMatch(csp, /img-src|unsafe|https?:/, 'no images, nothing unsafe, no other origin')
  t.notMatch(html, /<(script|link|img|image)[^>]+(src|href)=|url\(|style="/i, 'no external scripts, styles or images; no style attributes')
  t.equal([...html.matchAll(/<script>/g)].length, 1, 'one inline script')

  const browser = await launchChromium(t)
  if (!browser) return
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems = watchProblems(page)
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  const url = pathToFileURL(join(out, 'report.html')).href
  await page.goto(url)
  await page.waitForSelector('svg.chart[role="slider"]')

  // The map: a legend for every mark, the depots by name, a scale bar that matches the map's geometry.
  const legend = await text(page, '.map-legend li')
  for (const want of ['depot, named', 'demand area', 'no-fly zone', 'completed'])
    t.ok(legend.includes(want), `the legend explains "${want}" (${legend.join(' | ')})`)
  t.notOk(legend.includes('watched zone'), 'and nothing the map does not show')
  t.same(await text(page, '.depot-name'), Object.keys(DEPOTS), 'each depot is named on the map')
  const geometry = await page.evaluate(() => {
    const centre = (id: string) => {
      const b = document.querySelector(`g.depot[data-depot="${id}"] rect`)!.getBoundingClientRect()
      return { x: b.x + b.width / 2, y: b.y + b.height / 2 }
    }
    const scale = document.querySelector('g.scale')!
    return {
      a: centre('north-hub'),
      b: centre('harbour'),
      metres: Number(scale.dataset.metres),
      px: Number(scale.dataset.px),
      label: scale.querySelector('text')?.textContent ?? '',
    }
  })
  // The map is drawn at its own size (720 px for 720 units), so screen pixels are the map's.
  const apartPx = Math.hypot(geometry.a.x - geometry.b.x, geometry.a.y - geometry.b.y)
  const apartM = haversineM(...DEPOTS['north-hub'], ...DEPOTS.harbour)
  const mapMetresPerPx = apartM / apartPx
  const barMetresPerPx = geometry.metres / geometry.px
  t.ok(
    Math.abs(barMetresPerPx / mapMetresPerPx - 1) < 0.02,
    `the scale bar (${geometry.label}: ${barMetresPerPx.toFixed(2)} m/px) matches the depots' distance on the map (${mapMetresPerPx.toFixed(2)} m/px)`,
  )
  t.ok(geometry.px >= 60 && geometry.px <= 160, `a bar of readable length (${geometry.px.toFixed(0)} px)`)
  t.match(geometry.label, /^\d+ (m|km)$/, 'labelled in m or km')

  // Hover: the last column of "Deliveries over time" holds every request.
  // Hovering scrolls the chart into view first.
  await page
    .locator('svg.chart')
    .first()
    .hover({ position: { x: 626, y: 120 } })
  const readout = page.locator('figure.chartfig').first().locator('.readout')
  await readout.waitFor({ state: 'visible' })
  const hovered = (await readout.textContent()) ?? ''
  t.match(hovered, /^\d\d:\d\d UTC/, `the readout names the time (${hovered})`)
  t.match(hovered, new RegExp(`requested\\s*${results.deliveries.length}(\\D|$)`), 'and the value there: every request, cumulated')
  t.match(hovered, /completed\s*\d+/, 'for each series')
  t.comment(`screenshot: ${await screenshot(page, 'report-chart-hover', false)}`)
  await page.mouse.move(0, 0)
  await readout.waitFor({ state: 'hidden' })

  // Keyboard: Tab reaches the chart, the arrow keys move through its columns, the value text says them.
  await page.keyboard.press('Tab')
  const focused = await page.evaluate(() => {
    const el = document.activeElement!
    return { cls: el.getAttribute('class'), role: el.getAttribute('role'), label: el.getAttribute('aria-label') }
  })
  t.same(
    focused,
    { cls: 'chart', role: 'slider', label: 'Deliveries over time: values, with the arrow keys' },
    'Tab reaches the first chart',
  )
  await page.keyboard.press('Home')
  const valueText = async () => page.evaluate(() => document.activeElement!.getAttribute('aria-valuetext'))
  t.match(await valueText(), /^09:00 UTC: requested \d+, assigned \d+, completed 0$/, 'Home: the first minute')
  await page.keyboard.press('ArrowRight')
  t.equal(await page.evaluate(() => document.activeElement!.getAttribute('aria-valuenow')), '1', 'ArrowRight: the next')
  t.match(await valueText(), /^09:01 UTC: /)
  await page.keyboard.press('End')
  t.match(await valueText(), new RegExp(`^09:12 UTC: requested ${results.deliveries.length}, `), 'End: the last')
  t.ok(await readout.isVisible(), 'the readout shows while the chart has the focus')

  // The delivery-time histogram says its bins.
  await page
    .locator('svg.chart')
    .nth(1)
    .hover({ position: { x: 70, y: 120 } })
  await page.locator('figure.chartfig').nth(1).locator('.readout').waitFor({ state: 'visible' })
  t.match(await page.locator('figure.chartfig').nth(1).locator('.readout').textContent(), /^0–2 minutesdeliveries\s*\d+$/)

  t.comment(`screenshot: ${await screenshot(page, 'report')}`)
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.locator('figure.mapfig').screenshot({ path: `${SCREENSHOTS}report-map.png` })
  t.comment(`screenshot: ${SCREENSHOTS}report-map.png`)
  t.same([...new Set(requests.map((u) => new URL(u).protocol))], ['file:'], 'the report asked for nothing but itself')
  t.same(problems, [], 'no script errors and no CSP violations')
})

t.test('with DRONEFLEET_BASEMAP_URL, the map has the tiles of the area from that server, and only from it', async (t) => {
  const bad = await runCli(['run', scenarioFile, '--out', join(dir, 'bad')], { DRONEFLEET_BASEMAP_URL: 'tiles.example/{z}/{x}/{y}.png' })
  t.equal(bad.code, 2, 'a bad template is bad input')
  t.match(bad.stderr, /DRONEFLEET_BASEMAP_URL must be an absolute http:\/\/ or https:\/\/ tile URL template/)

  const asked: string[] = []
  const tiles = createServer((req, res) => {
    asked.push(req.url ?? '')
    res.writeHead(200, { 'content-type': 'image/svg+xml' })
    res.end(
      `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#e3ebe3" stroke="#b8c8b8"/>` +
        `<text x="8" y="20" font-size="14" fill="#667">${(req.url ?? '').replace(/[<&]/g, '')}</text></svg>`,
    )
  })
  await new Promise<void>((r) => tiles.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => tiles.close(() => r())))
  const origin = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}`
  const out = join(dir, 'basemap')
  await run(out, { DRONEFLEET_BASEMAP_URL: `${origin}/{z}/{x}/{y}.svg`, DRONEFLEET_BASEMAP_ATTRIBUTION: 'Tiles: test server' })
  const html = await readFile(join(out, 'report.html'), 'utf8')
  t.match(html, new RegExp(`img-src ${origin};`), "the policy lets images come from the tile server's origin")

  const browser = await launchChromium(t)
  if (!browser) return
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems = watchProblems(page)
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(pathToFileURL(join(out, 'report.html')).href)
  const keys = await page.$$eval('svg.map image', (els) => els.map((e) => (e as unknown as PageElement).dataset.tile ?? ''))
  t.ok(keys.length >= 4 && keys.length <= 36, `the tiles of the map's extent (${keys.length})`)
  // The tile under a depot, at the zoom drawn, is among them and the browser asked for it.
  const z = Number(keys[0]?.split('/')[0])
  const [lat, lon] = DEPOTS.harbour
  const n = 2 ** z
  const r = (lat * Math.PI) / 180
  const under = `${z}/${Math.floor(((lon + 180) / 360) * n)}/${Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)}`
  t.ok(z >= 11 && z <= 15, `a city-scale zoom (${z})`)
  t.ok(keys.includes(under), `the harbour depot's tile ${under} is drawn`)
  await until(() => (asked.includes(`/${under}.svg`) ? true : undefined), 30_000, `the browser asking for tile ${under}`)
  t.pass('and the browser asked the tile server for it')
  t.same(await text(page, 'svg.map .attribution'), ['Tiles: test server'], 'with the attribution the operator gave')
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.locator('figure.mapfig').screenshot({ path: `${SCREENSHOTS}report-map-basemap.png` })
  t.comment(`screenshot: ${SCREENSHOTS}report-map-basemap.png`)
  const origins = new Set(requests.map((u) => (u.startsWith('file:') ? 'file:' : new URL(u).origin)))
  t.same([...origins].sort(), ['file:', origin].sort(), 'nothing but the file and the tile server')
  t.same(problems, [], 'no script errors and no CSP violations')
})
