/**
 * The operator map's frame time: the real service (embedded broker, engine,
 * gateway) with N drones reporting once a second as one batch frame (a
 * CityFleet: spread over a city, a mix of states, each moving), and the map
 * page in headless Chromium drawing /v1/fleet. After the page has the whole
 * fleet, it measures for S seconds what the page itself records: the time to
 * draw each animation frame, the interval between frames while it animates
 * (16.7 ms is 60 Hz), and the time to take in each fleet message (JSON parse
 * included). Everything runs on this machine: the service's own work each
 * second (ingesting N samples, serialising the fleet frame) competes with
 * the browser, as it would on a laptop running `dronefleet demo`.
 *
 *   node dist/bench/operator-map.js [--drones 10000] [--seconds 20] [--width 1440 --height 900]
 *
 * Needs Debian's chromium (/usr/bin/chromium, or DRONEFLEET_CHROMIUM). Prints
 * the figures and writes results/bench-operator-map.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { pino } from 'pino'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import { CityFleet } from '../loadgen/CityFleet.js'
import { describeFrames, frameFigures, type MapStats } from '../loadgen/frameFigures.js'
import { CHROMIUM, headlessChromium } from '../loadgen/headlessChromium.js'
import { DEFAULT_PROFILE } from '../protocol/profile.js'
import { startService } from '../service/startService.js'

const arg = (name: string, def: number, max: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i < 0 ? def : Number(process.argv[i + 1])
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be a whole number 1..${max}, got ${process.argv[i + 1]}`)
  return v
}
const drones = arg('drones', 10_000, 100_000)
const seconds = arg('seconds', 20, 600)
const width = arg('width', 1440, 7680)
const height = arg('height', 900, 4320)

if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set DRONEFLEET_CHROMIUM`)
  process.exit(2)
}

declare const window: { operatorMap: { stats(): MapStats; reset(): void } }
declare const document: { getElementById(id: string): { dataset: Record<string, string | undefined> } | null }

const KEY = 'bench-operator-map'
const center = { lat: 47.61, lon: -122.33 }
const service = await startService({
  mqttPort: 0,
  httpPort: 0,
  wsPort: 0,
  host: '127.0.0.1',
  apiKey: KEY,
  profile: DEFAULT_PROFILE,
  depots: [center],
  logger: pino({ level: 'silent' }),
})
const pub = await connectMqtt(service.brokerUrl, clientId('bench-map'))
const fleet = new CityFleet(drones, center)
const send = (): void => {
  pub.publish(service.topics.telemetryBatch(0), Buffer.from(fleet.frame(Date.now())), { qos: 0 })
}
send()
const timer = setInterval(send, 1000)
const browser = await headlessChromium()
try {
  const page = await browser.newPage({ viewport: { width, height } })
  page.setDefaultTimeout(120_000)
  await page.goto(`${service.gateway.httpUrl}/map#key=${KEY}`)
  await page.waitForFunction((n) => document.getElementById('summary')?.dataset.drones === String(n), drones)
  // One more fleet message before measuring: the first one fits the view and warms the page up.
  await page.waitForFunction(() => window.operatorMap.stats().fleetFrames >= 2, undefined, { polling: 200 })
  await page.evaluate(() => window.operatorMap.reset())
  await page.waitForFunction((s) => window.operatorMap.stats().fleetFrames >= s, seconds, { polling: 500 })
  const figures = frameFigures(await page.evaluate(() => window.operatorMap.stats()))
  const report = {
    case: 'operator-map',
    measuredAt: new Date().toISOString(),
    settings: { drones, seconds, viewport: `${width}x${height}`, chromium: browser.version() },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
    ...figures,
  }
  mkdirSync('results', { recursive: true })
  writeFileSync('results/bench-operator-map.json', `${JSON.stringify(report, null, 2)}\n`)
  console.log(`operator map, ${width}x${height}, Chromium ${browser.version()}: ${describeFrames(figures)}`)
  console.log('wrote results/bench-operator-map.json')
} finally {
  clearInterval(timer)
  await browser.close()
  await pub.endAsync()
  await service.close()
}
