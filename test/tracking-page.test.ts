import { existsSync } from 'node:fs'
import { connectAsync } from 'mqtt'
import { chromium, type Browser } from 'playwright-core'
import t from 'tap'
import type { EngineView } from '../gateway/EngineView.js'
import { startEmbeddedBroker } from '../gateway/embeddedBroker.js'
import { startGateway } from '../gateway/startGateway.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { topics } from '../protocol/topics.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { EngineStats } from '../protocol/views.js'

// The customer tracking page, driven in headless Chromium: the engine's side is played over the broker.

// The functions passed to waitForFunction run in the page (as functions: the page's CSP forbids evaluating strings);
// the project compiles without the DOM library, so this is the little of it they use.
declare const document: { getElementById(id: string): { textContent: string | null; dataset: Record<string, string | undefined> } | null }

const CHROMIUM = process.env.DRONEFLEET_CHROMIUM ?? '/usr/bin/chromium'
const T = topics()
const secret = Buffer.from('tracking page test secret')
const engine: EngineView = { drones: () => [], drone: () => undefined, stats: () => ({}) as EngineStats }

const broker = await startEmbeddedBroker({ port: 0 })
const mqtt = await connectAsync(broker.url)
const gw = await startGateway({ mqtt, topics: T, engine, httpPort: 0, wsPort: 0, apiKey: null, trackingSecret: secret, logger: false })
const eng = await connectAsync(broker.url)
t.teardown(async () => {
  await gw.close()
  await mqtt.endAsync()
  await eng.endAsync()
  await broker.close()
})
const publish = (topic: string, msg: object): Promise<unknown> => eng.publishAsync(topic, JSON.stringify(msg), { qos: 1 })
async function createDelivery(): Promise<{ id: string; trackingToken: string; trackingPage: string }> {
  const res = await fetch(`${gw.httpUrl}/v1/deliveries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.63, lon: -122.35 }, weightKg: 1 }),
  })
  return (await res.json()) as { id: string; trackingToken: string; trackingPage: string }
}

t.test('the page is refused without the right token', async (t) => {
  const a = await createDelivery()
  const b = await createDelivery()
  t.equal((await fetch(`${gw.httpUrl}/track/${a.id}`)).status, 401, 'no token')
  t.equal((await fetch(`${gw.httpUrl}/track/${a.id}?token=nonsense`)).status, 401, 'malformed token')
  t.equal((await fetch(`${gw.httpUrl}/track/${a.id}?token=${encodeURIComponent(b.trackingToken)}`)).status, 403, "another delivery's token")
  const ok = await fetch(a.trackingPage)
  t.equal(ok.status, 200)
  t.match(ok.headers.get('content-type'), /^text\/html/)
  t.match(ok.headers.get('content-security-policy'), /default-src 'none'/, 'nothing loads from elsewhere')
  const html = await ok.text()
  t.notMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'self-contained: no external scripts, styles or images')
})

t.test('in Chromium: position, status and ETA update live', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') return t.fail(`Chromium is missing at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium); .ci/run does`)
    const why = `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`
    process.stderr.write(`\nNOTICE: ${why}; skipping the browser test\n`)
    t.comment(`NOTICE: ${why}; skipped`)
    return t.skip(why, () => undefined)
  }
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })

  const d = await createDelivery()
  await page.goto(d.trackingPage)
  await page.waitForSelector('#status[data-status="Created"]')
  await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live')

  const now = Date.now()
  const assigned: DeliveryEvent = { type: 'DroneAssigned', deliveryId: d.id, ts: now, droneId: 'd-7', eta: { at: now + 600_000, p10: now + 540_000, p90: now + 700_000 } }
  await publish(T.deliveryEvents(d.id), assigned)
  await page.waitForSelector('#status[data-status="HeadedToPickup"]')
  t.match(await page.textContent('#status'), /on its way to pick up/)

  const fix = (i: number, lat: number, lon: number, etaS: number): TrackingMessage => ({
    type: 'tracking', deliveryId: d.id, droneId: 'd-7', ts: now + i * 1000, position: { lat, lon, alt: 60 }, speed: 15, heading: 45,
    battery: 0.9, droneState: 'cruise', status: 'HeadedToPickup', eta: { at: now + i * 1000 + etaS * 1000, p10: now + i * 1000 + (etaS - 30) * 1000, p90: now + i * 1000 + (etaS + 60) * 1000 },
  })
  await publish(T.tracking(d.id), fix(1, 47.605, -122.325, 300))
  await page.waitForSelector('#drone[data-lat="47.605"][visibility="visible"]')
  const first = Number(await page.getAttribute('#eta', 'data-remaining-ms'))
  t.ok(first > 290_000 && first <= 300_000, `ETA about 5 min (${first} ms)`)
  t.match(await page.textContent('#eta'), /^[45]:\d\d$/)
  t.match(await page.textContent('#window'), /^window 4:\d\d – 6:\d\d$/, 'the P10–P90 window')
  const firstTransform = await page.getAttribute('#drone', 'transform')

  // The countdown runs between messages.
  await page.waitForFunction((v) => Number(document.getElementById('eta')?.dataset.remainingMs) < v - 1000, first, { timeout: 5000 })
  t.pass('the ETA counts down on its own')

  await publish(T.tracking(d.id), fix(2, 47.61, -122.33, 120))
  await page.waitForSelector('#drone[data-lat="47.61"]')
  t.not(await page.getAttribute('#drone', 'transform'), firstTransform, 'the drone moved on the map')
  const second = Number(await page.getAttribute('#eta', 'data-remaining-ms'))
  t.ok(second > 110_000 && second <= 120_000, `a new ETA replaces the old one (${second} ms)`)
  t.ok(((await page.getAttribute('#trail', 'points')) ?? '').split(' ').length >= 2, 'the trail grows')

  await publish(T.deliveryEvents(d.id), { type: 'PackagePickedUp', deliveryId: d.id, ts: now + 3000, droneId: 'd-7' })
  await page.waitForSelector('#status[data-status="HeadedToDropoff"]')
  await publish(T.deliveryEvents(d.id), { type: 'DeliveryCompleted', deliveryId: d.id, ts: now + 4000, droneId: 'd-7' })
  await page.waitForSelector('#status[data-status="Completed"]')
  t.equal(await page.textContent('#eta'), 'Arrived')
  await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'tracking ended')
  t.same(problems, [], 'no script errors and no CSP violations')
})
