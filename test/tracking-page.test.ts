import { createServer } from 'node:http'
import { type AddressInfo, connect as connectTcp, type Socket } from 'node:net'
import { connectAsync } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import t from 'tap'
import type { EngineView } from '../gateway/EngineView.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startGateway, type Gateway } from '../gateway/startGateway.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { topics } from '../protocol/topics.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { EngineStats } from '../protocol/views.js'
import { launchChromium, screenshot, watchProblems } from './helpers/chromium.js'
import type { PageDocument, PageElement, PageStyle } from './helpers/pageDom.js'
import { until } from './helpers/until.js'

// The customer tracking page, driven in headless Chromium: the engine's side is played over the broker.

// The functions passed to the page run there (as functions: the page's CSP forbids evaluating strings).
declare const document: PageDocument
declare function getComputedStyle(el: PageElement, pseudo?: string): PageStyle

const T = topics()
const secret = Buffer.from('tracking page test secret')
const engine: EngineView = { drones: () => [], drone: () => undefined, stats: () => ({}) as EngineStats }
const PHONE = { width: 390, height: 844 }
const ZONE = 'Asia/Kolkata' // a half-hour offset: a time shown in UTC or the machine's zone would not match

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
async function createDelivery(g: Gateway = gw): Promise<{ id: string; trackingToken: string; trackingPage: string }> {
  const res = await fetch(`${g.httpUrl}/v1/deliveries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.63, lon: -122.35 }, weightKg: 1 }),
  })
  return (await res.json()) as { id: string; trackingToken: string; trackingPage: string }
}
const fix = (id: string, now: number, i: number, lat: number, lon: number, etaS: number, status = 'HeadedToPickup'): TrackingMessage => ({
  type: 'tracking',
  deliveryId: id,
  droneId: 'd-7',
  ts: now + i * 1000,
  position: { lat, lon, alt: 60 },
  speed: 15,
  heading: 45,
  battery: 0.9,
  droneState: 'cruise',
  status: status as TrackingMessage['status'],
  eta: { at: now + i * 1000 + etaS * 1000, p10: now + i * 1000 + (etaS - 30) * 1000, p90: now + i * 1000 + (etaS + 60) * 1000 },
})

/** A clock time as the page shows it to a viewer in ZONE: the time of day, with the weekday when it is not today. */
function viewerClock(ms: number): string {
  const day = (v: number): string => new Date(v).toLocaleDateString('en-GB', { timeZone: ZONE })
  const opts: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit', timeZone: ZONE }
  return new Intl.DateTimeFormat('en-GB', day(ms) === day(Date.now()) ? opts : { ...opts, weekday: 'short' }).format(new Date(ms))
}

/** An element's text as a reader sees it (a no-break space is a space). */
const text = async (page: Page, selector: string): Promise<string> =>
  (await page.$eval(selector, (el) => (el as unknown as PageElement).textContent ?? '')).replace(/\u00a0/g, ' ')
const textIs = (page: Page, id: string, want: string | RegExp): Promise<unknown> =>
  page.waitForFunction(
    ([id, src, flags]) => {
      const s = (document.getElementById(id as string)?.textContent ?? '').replace(/\u00a0/g, ' ')
      return flags === null ? s === src : new RegExp(src as string, flags as string).test(s)
    },
    typeof want === 'string' ? [id, want, null] : [id, want.source, want.flags],
  )
/** The steps as the page shows them: label and state. */
const steps = (page: Page): Promise<Array<{ label: string; state: string; current: boolean }>> =>
  page.evaluate(() =>
    [...document.querySelectorAll('#steps li')].map((li) => ({
      label: li.querySelector('.label')?.textContent ?? '',
      state: li.getAttribute('class') ?? '',
      current: li.getAttribute('aria-current') === 'step',
    })),
  )

/** WCAG contrast ratio of each element's text against the first opaque background behind it. */
function contrastOf(selectors: string[]): Array<{ selector: string; ratio: number }> {
  const rgba = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number)
  const lum = (c: number[]): number => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
    }) as [number, number, number]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
  }
  const out: Array<{ selector: string; ratio: number }> = []
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      const fg = rgba(getComputedStyle(el).color)
      let bg = [255, 255, 255]
      for (let e: PageElement | null = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor)
        if (c.length >= 3 && (c.length < 4 || (c[3] as number) > 0)) {
          bg = c
          break
        }
      }
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x) as [number, number]
      out.push({ selector, ratio: (a + 0.05) / (b + 0.05) })
    }
  }
  return out
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
  const csp = ok.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'none'/, 'nothing loads from elsewhere')
  t.notMatch(csp, /img-src/, 'no basemap configured: not even images may load')
  const html = await ok.text()
  t.notMatch(html, /<(script|link|img|image)[^>]+(src|href)=/i, 'self-contained: no external scripts, styles or images')
  t.match(html, /aria-live="polite"/, 'status and ETA sit in a live region')
})

t.test('in Chromium on a phone: words, clock times, steps, map, trail across a reload, live region', async (t) => {
  const browser = await launchChromium(t)
  if (!browser) return
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, timezoneId: ZONE, locale: 'en-GB' })
  context.setDefaultTimeout(120_000) // a busy machine is slow, not broken; tap's timeout bounds a real hang
  const page = await context.newPage()
  const problems = watchProblems(page)
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))

  const d = await createDelivery()
  await page.goto(d.trackingPage)
  await page.waitForSelector('#status[data-status="Created"]')
  await page.waitForSelector('#conn[data-state="live"]')
  t.equal(await text(page, '#status'), 'Finding a drone for your parcel')
  t.same(
    (await steps(page)).map((s) => [s.label, s.state]),
    [
      ['Requested', 'current'],
      ['Drone on its way', 'todo'],
      ['Picked up', 'todo'],
      ['Arriving', 'todo'],
      ['Delivered', 'todo'],
    ],
    'requested is where it is',
  )

  const now = Date.now()
  const assigned: DeliveryEvent = {
    type: 'DroneAssigned',
    deliveryId: d.id,
    ts: now,
    droneId: 'd-7',
    eta: { at: now + 600_000, p10: now + 540_000, p90: now + 700_000 },
  }
  await publish(T.deliveryEvents(d.id), assigned)
  await page.waitForSelector('#status[data-status="HeadedToPickup"]')
  t.equal(await text(page, '#status'), 'A drone is on its way to pick up your parcel')
  t.same(
    (await steps(page)).filter((s) => s.current).map((s) => s.label),
    ['Drone on its way'],
    'the current step is marked for assistive technology',
  )

  await publish(T.tracking(d.id), fix(d.id, now, 1, 47.605, -122.325, 300))
  await page.waitForSelector('#drone[data-lat="47.605"][visibility="visible"]')
  const shown = await page.evaluate(() => ({
    eta: document.getElementById('eta')?.textContent,
    left: Number(document.getElementById('eta')?.dataset.remainingMs),
    arrival: document.getElementById('arrival')?.textContent,
    arrivalMs: Number(document.getElementById('arrival')?.dataset.arrivalMs),
    window: document.getElementById('window')?.textContent,
  }))
  t.ok(shown.left > 290_000 && shown.left <= 300_000, `about 5 min left (${shown.left} ms)`)
  t.equal(shown.eta?.replace(/\u00a0/g, ' '), 'arrives in about 5 min', 'the time left in words, with its unit')
  t.ok(Math.abs(shown.arrivalMs - (Date.now() + shown.left)) < 60_000, 'the arrival time is the viewer clock plus the time left')
  t.equal(shown.arrival, `Expected at ${viewerClock(shown.arrivalMs)}`, `a clock time in the viewer's zone (${ZONE})`)
  t.equal(
    shown.window,
    `between ${viewerClock(shown.arrivalMs - 30_000)} and ${viewerClock(shown.arrivalMs + 60_000)}`,
    'the P10–P90 window as clock times',
  )

  // Legible on a 390 px phone: markers at least 28 CSS px across, letters at least 16 px, pickup and drop-off apart.
  const marks = await page.evaluate(() => {
    const box = (sel: string) => document.querySelector(sel)?.getBoundingClientRect() ?? { x: 0, y: 0, width: 0, height: 0 }
    const font = (sel: string) =>
      Number.parseFloat(getComputedStyle(document.querySelector(sel) as PageElement).getPropertyValue('font-size'))
    return {
      map: box('#map'),
      pickup: box('#pickup circle'),
      dropoff: box('#dropoff rect'),
      drone: box('#drone path'),
      letter: font('#pickup .letter'),
      label: font('#dropoff .label'),
      labels: [document.querySelector('#pickup .label')?.textContent, document.querySelector('#dropoff .label')?.textContent],
    }
  })
  t.ok(marks.map.width >= 340 && marks.map.width <= 390, `the map fills the phone's width (${marks.map.width} px)`)
  for (const k of ['pickup', 'dropoff', 'drone'] as const) t.ok(marks[k].width >= 28, `${k} marker is ${marks[k].width.toFixed(0)} px wide`)
  t.ok(marks.letter >= 16 && marks.label >= 14, `P/D in ${marks.letter} px, labels in ${marks.label} px`)
  t.same(marks.labels, ['Pickup', 'Drop-off'], 'the places are named on the map')
  const apart = (a: typeof marks.pickup, b: typeof marks.pickup): boolean =>
    a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
  t.ok(apart(marks.pickup, marks.dropoff), 'pickup and drop-off do not cover each other')

  // The countdown runs between messages, but the live region is not rewritten on every tick.
  await page.evaluate(() => {
    const w = globalThis as unknown as {
      __mutations: number
      MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void }
    }
    w.__mutations = 0
    new w.MutationObserver(() => w.__mutations++).observe(document.getElementById('summary'), {
      childList: true,
      characterData: true,
      subtree: true,
    })
  })
  await page.waitForFunction((v) => Number(document.getElementById('eta')?.dataset.remainingMs) < v - 1000, shown.left)
  t.pass('the ETA counts down on its own')
  t.equal(
    await page.evaluate(() => (globalThis as unknown as { __mutations: number }).__mutations),
    0,
    'nothing re-announced while the words stay the same',
  )

  await publish(T.tracking(d.id), fix(d.id, now, 2, 47.61, -122.33, 400))
  await page.waitForSelector('#drone[data-lat="47.61"]')
  t.equal(await text(page, '#eta'), 'arrives in about 7 min', 'a new ETA replaces the old one')
  await page.waitForSelector('#trail[data-points="2"]')
  t.pass('the trail grows')

  // A reload keeps the trail: it comes in the snapshot.
  await page.reload()
  await page.waitForSelector('#conn[data-state="live"]')
  await page.waitForSelector('#trail[data-points="2"]')
  t.equal((await page.getAttribute('#trail', 'points'))?.split(' ').length, 2, 'the trail is drawn again from the snapshot')

  await publish(T.deliveryEvents(d.id), { type: 'PackagePickedUp', deliveryId: d.id, ts: now + 3000, droneId: 'd-7' })
  await page.waitForSelector('#status[data-status="HeadedToDropoff"]')
  await textIs(page, 'status', 'Your parcel is in the air, on its way to you')
  t.same(
    (await steps(page)).filter((s) => s.current).map((s) => s.label),
    ['Picked up'],
  )
  await publish(T.tracking(d.id), fix(d.id, now, 4, 47.62, -122.34, 90, 'HeadedToDropoff'))
  await textIs(page, 'status', 'Your parcel is arriving')
  t.same(
    (await steps(page)).map((s) => s.state),
    ['done', 'done', 'done', 'current', 'todo'],
    'the last two minutes are "arriving"',
  )
  t.comment(`screenshot: ${await screenshot(page, 'tracking-phone-arriving')}`)

  // Keyboard: the details open from the keyboard, with a visible focus ring.
  await page.keyboard.press('Tab')
  const focused = await page.evaluate(() => {
    const el = document.activeElement as PageElement
    return { tag: el.tagName, outline: getComputedStyle(el).getPropertyValue('outline-style') }
  })
  t.same(focused, { tag: 'SUMMARY', outline: 'solid' }, 'Tab reaches the details, and the focus shows')
  await page.keyboard.press('Enter')
  await page.waitForSelector('#events li')
  t.match(await text(page, '#events'), /Drone d-7 assigned.*Parcel picked up/s, 'the history in words')

  const contrast = await page.evaluate(contrastOf, [
    '.kicker',
    '#status',
    '#eta',
    '#arrival',
    '#steps li',
    '#conn',
    '.legend span',
    'summary',
    '#events time',
  ])
  const low = contrast.filter((c) => c.ratio < 4.5)
  t.same(low, [], `text contrast at least 4.5:1 (lowest ${Math.min(...contrast.map((c) => c.ratio)).toFixed(2)})`)

  await publish(T.deliveryEvents(d.id), { type: 'DeliveryCompleted', deliveryId: d.id, ts: now + 5000, droneId: 'd-7' })
  await page.waitForSelector('#status[data-status="Completed"]')
  t.equal(await text(page, '#status'), 'Your parcel has been delivered')
  t.equal(await text(page, '#eta'), `Arrived at ${viewerClock(now + 5000)}`, 'when, in the viewer’s zone')
  t.same(
    (await steps(page)).map((s) => s.state),
    ['done', 'done', 'done', 'done', 'done'],
  )
  await page.waitForSelector('#conn[data-state="ended"]')
  t.comment(`screenshot: ${await screenshot(page, 'tracking-phone-delivered')}`)
  const origins = new Set(requests.map((u) => new URL(u).origin))
  t.same([...origins], [new URL(gw.httpUrl).origin], 'the page fetched nothing from anywhere else')
  t.same(problems, [], 'no script errors and no CSP violations')
})

t.test('in Chromium: a cancelled and a failed delivery say why in plain words', async (t) => {
  const browser = await launchChromium(t)
  if (!browser) return
  const context = await browser.newContext({ viewport: PHONE, timezoneId: ZONE, locale: 'en-GB' })
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems = watchProblems(page)
  const now = Date.now()

  const a = await createDelivery()
  const eta = { at: now + 600_000, p10: now + 540_000, p90: now + 700_000 }
  await publish(T.deliveryEvents(a.id), { type: 'DroneAssigned', deliveryId: a.id, ts: now, droneId: 'd-3', eta })
  await page.goto(a.trackingPage)
  await page.waitForSelector('#status[data-status="HeadedToPickup"]')
  await publish(T.deliveryEvents(a.id), { type: 'DeliveryCancelled', deliveryId: a.id, ts: now + 1000, reason: 'the recipient moved' })
  await page.waitForSelector('#status[data-status="Cancelled"]')
  t.equal(await text(page, '#status'), 'This delivery was cancelled')
  t.equal(await text(page, '#reason'), 'The delivery was cancelled. Reason given: the recipient moved.')
  t.same(
    (await steps(page)).map((s) => [s.label, s.state]),
    [
      ['Requested', 'done'],
      ['Drone on its way', 'done'],
      ['Cancelled', 'stopped'],
    ],
    'the steps it reached, then where it stopped',
  )

  const b = await createDelivery()
  await publish(T.deliveryEvents(b.id), {
    type: 'DeliveryFailed',
    deliveryId: b.id,
    ts: now,
    reason: "package of 12 kg exceeds the drones' 5 kg payload",
  })
  // Opened after the end: the snapshot alone says it all.
  await page.goto(b.trackingPage)
  await page.waitForSelector('#status[data-status="Failed"]')
  t.equal(await text(page, '#reason'), 'Your parcel is heavier than our drones can carry.')
  t.same(
    (await steps(page)).map((s) => [s.label, s.state]),
    [
      ['Requested', 'done'],
      ['Not delivered', 'stopped'],
    ],
  )
  t.equal(await page.getAttribute('#eta', 'hidden'), '', 'no ETA for a delivery that will not come')
  t.comment(`screenshot: ${await screenshot(page, 'tracking-phone-failed')}`)
  t.same(problems, [], 'no script errors and no CSP violations')
})

t.test('in Chromium: motion stops for viewers who ask for reduced motion', async (t) => {
  const browser = await launchChromium(t)
  if (!browser) return
  const d = await createDelivery()
  const now = Date.now()
  await publish(T.deliveryEvents(d.id), {
    type: 'DroneAssigned',
    deliveryId: d.id,
    ts: now,
    droneId: 'd-9',
    eta: { at: now + 600_000, p10: now + 540_000, p90: now + 700_000 },
  })
  await publish(T.tracking(d.id), fix(d.id, now, 1, 47.605, -122.325, 300))
  const motion = async (reducedMotion: 'reduce' | 'no-preference') => {
    const context = await browser.newContext({ viewport: PHONE, reducedMotion })
    context.setDefaultTimeout(120_000)
    const page = await context.newPage()
    await page.goto(d.trackingPage)
    await page.waitForSelector('#drone[visibility="visible"]')
    const m = await page.evaluate(() => ({
      glide: getComputedStyle(document.getElementById('drone') as PageElement).getPropertyValue('transition-duration'),
      pulse: getComputedStyle(document.querySelector('#drone .halo') as PageElement).getPropertyValue('animation-name'),
    }))
    await context.close()
    return m
  }
  t.same(await motion('no-preference'), { glide: '0.9s', pulse: 'pulse' }, 'the drone glides and pulses by default')
  t.same(await motion('reduce'), { glide: '0s', pulse: 'none' }, 'and keeps still under prefers-reduced-motion')
})

t.test('in Chromium: tiles from the tile server the operator configured, and only then', async (t) => {
  const browser = await launchChromium(t)
  if (!browser) return
  // A stand-in for the operator's tile server: each tile an SVG naming itself, refused the first time it is asked
  // for (the page must ask again: one lost request may not leave a hole in the map).
  const asked: string[] = []
  const tiles = createServer((req, res) => {
    asked.push(req.url ?? '')
    if (asked.filter((u) => u === req.url).length === 1) {
      res.writeHead(503).end()
      return
    }
    const name = (req.url ?? '').replace(/\.svg$/, '')
    res.writeHead(200, { 'content-type': 'image/svg+xml', 'access-control-allow-origin': '*' })
    res.end(
      `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#dfe8f0" stroke="#9fb3c8"/>` +
        `<text x="8" y="20" font-size="14" fill="#52667a">${name}</text></svg>`,
    )
  })
  await new Promise<void>((r) => tiles.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => tiles.close(() => r())))
  const tileUrl = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}/{z}/{x}/{y}.svg`
  // Its own broker client: a gateway unsubscribes its topics when it closes.
  const mqtt2 = await connectAsync(broker.url)
  const withMap = await startGateway({
    mqtt: mqtt2,
    topics: T,
    engine,
    httpPort: 0,
    wsPort: 0,
    apiKey: null,
    trackingSecret: secret,
    logger: false,
    basemap: { tiles: tileUrl, attribution: 'Tiles: test tile server' },
  })
  t.teardown(async () => {
    await withMap.close()
    await mqtt2.endAsync()
  })

  const d = await createDelivery(withMap)
  const res = await fetch(d.trackingPage)
  t.match(res.headers.get('content-security-policy'), new RegExp(`img-src ${new URL(tileUrl.replace(/[{}]/g, '')).origin};`))
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2 })
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems = watchProblems(page)
  await page.goto(d.trackingPage)
  await page.waitForSelector('#status[data-status="Created"]')
  await page.waitForSelector('#tiles image')
  t.equal(await text(page, '#attribution'), 'Tiles: test tile server', 'the attribution the operator gave')
  const keys = await page.$$eval('#tiles image', (els) => els.map((e) => (e as unknown as PageElement).dataset.tile ?? ''))
  // The pickup's tile at the zoom shown must be among them: the tiles are where the map is.
  const z = Number(keys[0]?.split('/')[0])
  const n = 2 ** z
  const lat = (47.61 * Math.PI) / 180
  const pickupTile = `${z}/${Math.floor(((-122.33 + 180) / 360) * n)}/${Math.floor(((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * n)}`
  t.ok(z >= 12 && z <= 16, `a city-scale zoom (${z}) for a 2.7 km delivery`)
  t.ok(keys.includes(pickupTile), `the pickup's tile ${pickupTile} is drawn (of ${keys.join(', ')})`)
  // The pickup's tile is refused once, asked for again, and then shown.
  const pickupUrl = `/${pickupTile}.svg`
  await until(
    () => (asked.filter((u) => u === pickupUrl).length >= 2 ? true : undefined),
    30_000,
    `the browser asking again for tile ${pickupTile}`,
  )
  t.pass('the browser asked the tile server for it again after a refusal')
  await page.waitForFunction(
    (key) => document.querySelector(`#tiles image[data-tile="${key}"]`)?.getAttribute('visibility') !== 'hidden',
    pickupTile,
  )
  t.comment(`screenshot: ${await screenshot(page, 'tracking-phone-basemap')}`)
  t.same(
    problems.filter((p) => !/Failed to load resource: .* 503/.test(p)),
    [],
    'no script errors and no CSP violations (beyond the refusals the tile server was told to make)',
  )
})

t.test('in Chromium: behind a proxy, the page opens its socket where publicWsUrl says', async (t) => {
  const browser = await launchChromium(t)
  if (!browser) return
  // A stand-in for the operator's proxy: upgrades under /live are passed on to the gateway's socket port, the prefix removed.
  const upgrades: string[] = []
  const open = new Set<Socket>()
  let target = 0
  const proxy = createServer((_req, res) => res.writeHead(404).end())
  proxy.on('upgrade', (req, client: Socket, head: Buffer) => {
    upgrades.push(req.url ?? '')
    const upstream = connectTcp(target, '127.0.0.1', () => {
      const headers = req.rawHeaders.map((v, i) => (i % 2 === 0 ? `${v}: ` : `${v}\r\n`)).join('')
      upstream.write(`GET ${(req.url ?? '').replace(/^\/live/, '')} HTTP/1.1\r\n${headers}\r\n`)
      upstream.write(head)
      client.pipe(upstream).pipe(client)
    })
    for (const s of [client, upstream]) {
      open.add(s)
      s.on('error', () => undefined)
      s.on('close', () => {
        open.delete(s)
        client.destroy()
        upstream.destroy()
      })
    }
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    for (const s of open) s.destroy()
    return new Promise<void>((r) => proxy.close(() => r()))
  })
  const wsBase = `ws://127.0.0.1:${(proxy.address() as AddressInfo).port}/live`
  const mqtt2 = await connectAsync(broker.url)
  const behind = await startGateway({
    mqtt: mqtt2,
    topics: T,
    engine,
    httpPort: 0,
    wsPort: 0,
    apiKey: null,
    trackingSecret: secret,
    logger: false,
    publicWsUrl: wsBase,
  })
  target = behind.wsPort
  t.teardown(async () => {
    await behind.close()
    await mqtt2.endAsync()
  })

  const d = await createDelivery(behind)
  const context = await browser.newContext({ viewport: PHONE })
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems = watchProblems(page)
  const sockets: string[] = []
  page.on('websocket', (ws) => sockets.push(ws.url()))
  await page.goto(d.trackingPage)
  // The status comes over the socket: the page is live through the proxy.
  await page.waitForSelector('#conn[data-state="live"]')
  await page.waitForSelector('#status[data-status="Created"]')
  t.same(
    sockets.map((u) => u.split('?')[0]),
    [`${wsBase}/v1/track/${d.id}`],
    'the page dialled the public WebSocket base, not the port it was served from',
  )
  t.equal(upgrades.length, 1, 'and the proxy passed it on')
  t.match(upgrades[0], new RegExp(`^/live/v1/track/${d.id}\\?token=`))
  t.same(problems, [], 'no script errors and no CSP violations')

  // The operator map too: its fleet socket goes through the proxy.
  await page.goto(`${behind.httpUrl}/map`)
  await page.waitForSelector('#conn[data-state="live"]')
  t.same(
    sockets.slice(1).map((u) => u.split('?')[0]),
    [`${wsBase}/v1/fleet`],
    "the operator map's socket is on the public base too",
  )
  t.equal(upgrades[1], '/live/v1/fleet')
})

t.test('a desktop view of a delivery in flight', async (t) => {
  const browser: Browser | undefined = await launchChromium(t)
  if (!browser) return
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const d = await createDelivery()
  const now = Date.now()
  await publish(T.deliveryEvents(d.id), {
    type: 'DroneAssigned',
    deliveryId: d.id,
    ts: now,
    droneId: 'd-4',
    eta: { at: now + 900_000, p10: now + 800_000, p90: now + 1_000_000 },
  })
  for (let i = 1; i <= 6; i++) await publish(T.tracking(d.id), fix(d.id, now, i, 47.6 + i * 0.002, -122.32 - i * 0.001, 800 - i * 10))
  await page.goto(d.trackingPage)
  await page.waitForSelector('#trail[data-points="6"]')
  // 740 s left at the newest message, which the snapshot's trail dates.
  t.equal(await text(page, '#eta'), 'arrives in about 12 min')
  t.comment(`screenshot: ${await screenshot(page, 'tracking-desktop')}`)
})
