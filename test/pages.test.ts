import t from 'tap'
import { launchChromium, screenshot, watchProblems } from './helpers/chromium.js'
import type { PageDocument } from './helpers/pageDom.js'
import { quietScenario, startTestService } from './helpers/service.js'

// The landing page and the API documentation, in headless Chromium over the real service.

declare const document: PageDocument

const service = await startTestService(quietScenario(), 'pages-key')
const http = service.gateway.httpUrl
t.teardown(() => service.close())

t.test('GET / and GET /docs answer HTML that loads nothing from elsewhere', async (t) => {
  const landing = await fetch(`${http}/`)
  t.equal(landing.status, 200)
  t.match(landing.headers.get('content-type'), /^text\/html/)
  t.match(landing.headers.get('content-security-policy'), /default-src 'none'.*connect-src 'self'/)
  const html = await landing.text()
  t.notMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'self-contained')
  for (const href of ['/map', '/docs', '/metrics', '/readyz']) t.match(html, `href="${href}"`, `links ${href}`)

  const docs = await fetch(`${http}/docs`)
  t.equal(docs.status, 200)
  const csp = docs.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'self'/, 'the docs load from this gateway only')
  t.notMatch(csp, /https?:|validator\.swagger\.io|unsafe/, 'no other origin, nothing unsafe')
  const page = await docs.text()
  const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
  t.ok(assets.length >= 4, `it names its assets (${assets.join(', ')})`)
  for (const a of assets) {
    t.notMatch(a, /^(https?:)?\/\//, `${a} is local`)
    const res = await fetch(new URL(a, `${http}/docs`))
    t.equal(res.status, 200, `${a} is served here`)
    t.match(res.headers.get('content-security-policy'), /default-src 'self'/, `${a} carries the policy`)
  }
  t.equal((await fetch(`${http}/docs/json`)).status, 200, 'the OpenAPI document stays at /docs/json')
})

t.test('in Chromium: the landing page says whether the service is ready and leads to the docs, the map and the metrics', async (t) => {
  const browser = await launchChromium(t)
  if (!browser) return
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems = watchProblems(page)
  const origins = new Set<string>()
  page.on('request', (r) => origins.add(new URL(r.url()).origin))

  await page.goto(`${http}/`)
  await page.waitForSelector('#ready[data-state="ready"]')
  t.match(await page.textContent('#ready'), /^Ready · the engine is \d+ ms behind its input$/)
  t.match(await page.textContent('h1'), /^dronefleet \d+\.\d+\.\d+/, 'with its version')
  const cards = await page.$$eval('nav a', (as) =>
    as.map((a) => ({
      href: (a as unknown as { getAttribute(n: string): string }).getAttribute('href'),
      text: (a as unknown as { textContent: string }).textContent,
    })),
  )
  t.same(
    cards.map((c) => c.href),
    ['/map', '/docs', '/metrics', '/readyz'],
  )
  t.match(cards[0]?.text, /^Operator map/)
  t.comment(`screenshot: ${await screenshot(page, 'landing')}`)

  // To the API documentation: Swagger UI, from this gateway.
  await page.click('a[href="/docs"]')
  await page.waitForSelector('.swagger-ui .info .title')
  t.match(await page.textContent('.swagger-ui .info .title'), /dronefleet gateway/)
  await page.waitForSelector('.opblock-summary-path')
  const paths = await page.$$eval('.opblock-summary-path', (els) =>
    els.map((e) => (e as unknown as { getAttribute(n: string): string | null }).getAttribute('data-path')),
  )
  for (const p of ['/v1/deliveries', '/v1/deliveries/{id}/tracking-link', '/v1/drones', '/v1/zones', '/map', '/healthz'])
    t.ok(paths.includes(p), `${p} is documented`)
  // An open route, tried from the page: its requests go to this gateway.
  await page.click('#operations-health-get_healthz .opblock-summary')
  await page.click('#operations-health-get_healthz button.try-out__btn')
  await page.click('#operations-health-get_healthz button.execute')
  await page.waitForSelector('#operations-health-get_healthz .live-responses-table .response-col_status')
  t.match(await page.textContent('#operations-health-get_healthz .live-responses-table'), /200[\s\S]*"status": "ok"/, 'Try it out works')
  t.comment(`screenshot: ${await screenshot(page, 'docs')}`)

  // The map and the metrics, from the landing page's links.
  await page.goto(`${http}/`)
  await page.click('a[href="/map"]')
  await page.waitForSelector('#login:not([hidden])')
  t.pass('the operator map asks for the API key')
  await page.goto(`${http}/`)
  await page.click('a[href="/metrics"]')
  await page.waitForFunction(() => (document.querySelector('body')?.textContent ?? '').includes('dronefleet_'))
  t.pass('the metrics are Prometheus text')

  t.same([...origins], [http], 'nothing was fetched from anywhere else')
  // The map's first request checks whether it needs a key: Chromium logs that 401 as an error.
  t.same(
    problems.filter((p) => !/status of 401/.test(p)),
    [],
    'no script errors and no CSP violations',
  )
})
