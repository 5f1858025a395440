import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { simulate } from '../service/simulate.js'
import { startService } from '../service/startService.js'
import { parseScenario } from '../sim/scenario/loadScenario.js'
import { requireMosquittoBinary, startOwnMosquitto } from './helpers/ownMosquitto.js'
import { until } from './helpers/until.js'

/** A pino logger whose records the test can read. */
function capturingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return { logger: pino({ level: 'info' }, sink), lines }
}

const TERMINAL = new Set(['Completed', 'Failed', 'Cancelled'])

t.test('after a refused CONNACK the service reconnects, and says so', async (t) => {
  if (!requireMosquittoBinary(t)) return
  const broker = await startOwnMosquitto(t)
  const scenario = parseScenario(
    `
name: refused
seed: 1
start: 2026-01-05T09:00:00Z
tick: 1 s
speed: 1
duration: 5 min
depots: [{ id: hub, position: [47.61, -122.33], drones: 1 }]
demand: { rate: 1 /h, area: { center: [47.61, -122.33], radius: 1 km } }
`,
    'refused.yaml',
  )
  const { logger, lines } = capturingLogger()
  const service = await startService({
    broker: broker.url,
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey: null,
    ...scenarioEngineOptions(scenario),
    logger,
  })
  t.teardown(() => service.close())
  const ready = async (): Promise<true | undefined> =>
    (await fetch(`${service.gateway.httpUrl}/readyz`)).status === 200 ? true : undefined
  await until(ready, 20_000, '/readyz 200 at first')

  // The broker comes back refusing everyone (a credentials rotation gone wrong)...
  await broker.stop()
  broker.configure('allow_anonymous false')
  await broker.start()
  await until(
    async () => (lines.some((l) => /Not authorized|Connection refused/.test(l)) ? true : undefined),
    20_000,
    'a refused CONNACK logged',
  )
  t.equal((await fetch(`${service.gateway.httpUrl}/readyz`)).status, 503, 'not ready while refused')
  // ...then lets them in again: the clients must still be trying.
  await broker.stop()
  broker.configure('')
  await broker.start()
  await until(ready, 30_000, '/readyz 200 again after the refusal')
  t.ok(
    lines.some((l) => l.includes('disconnected from the MQTT broker')),
    'the disconnect is logged',
  )
  t.ok(
    lines.some((l) => l.includes('reconnected to the MQTT broker')),
    'the reconnect is logged',
  )
})

t.test('a run survives its Mosquitto being stopped and restarted several times: every accepted delivery ends', async (t) => {
  if (!requireMosquittoBinary(t)) return
  const broker = await startOwnMosquitto(t)
  // Demand stops at 4 min; deliveries in a 1.5 km circle are done well before 15 min.
  const scenario = parseScenario(
    `
name: outages
seed: 7
start: 2026-01-05T09:00:00Z
duration: 15 min
speed: max
tick: 1 s
depots: [{ id: hub, position: [47.61, -122.33], drones: 12 }]
demand:
  rate: 600 /h
  phases: [{ at: 4 min, rate: 0 /h }]
  area: { center: [47.61, -122.33], radius: 1500 m }
  deadline: 12 min
`,
    'outages.yaml',
  )
  const { logger, lines } = capturingLogger()
  const apiKey = 'outage-key'
  const service = await startService({
    broker: broker.url,
    mqttPort: 0,
    httpPort: 0,
    wsPort: 0,
    host: '127.0.0.1',
    apiKey,
    ...scenarioEngineOptions(scenario),
    logger,
  })
  t.teardown(() => service.close())

  // Outages at these ticks, 5 to 30 s of wall time each: two graceful stops
  // (sessions saved) and one SIGKILL (sessions lost: clients resubscribe and
  // the simulator resends its clock).
  const plan: Array<{ atTick: number; downMs: number; signal: NodeJS.Signals }> = [
    { atTick: 90, downMs: 5000, signal: 'SIGTERM' },
    { atTick: 200, downMs: 12_000, signal: 'SIGKILL' },
    { atTick: 420, downMs: 30_000, signal: 'SIGTERM' },
  ]
  const outages: Array<Promise<void>> = []
  const out = mkdtempSync(join(tmpdir(), 'dronefleet-outage-'))
  const done = await simulate({
    scenario,
    brokerUrl: broker.url,
    gatewayUrl: service.gateway.httpUrl,
    apiKey,
    topics: service.topics,
    workers: 1,
    speed: 'max',
    out,
    logger,
    onTick: (p) => {
      const next = plan[outages.length]
      if (next && p.tick >= next.atTick) {
        outages.push(
          (async () => {
            await broker.stop(next.signal)
            await new Promise((r) => setTimeout(r, next.downMs))
            await broker.start()
          })(),
        )
      }
    },
  })
  await Promise.all(outages)
  t.equal(outages.length, plan.length, 'every outage happened mid-run')
  const { results } = done
  t.ok(results.deliveries.length >= 20, `deliveries were accepted (${results.deliveries.length})`)
  const open = results.deliveries.filter((d) => !TERMINAL.has(d.status))
  t.same(open, [], 'every accepted delivery reached a terminal state in the results')
  // The gateway, which missed nothing either, agrees.
  const seen: Array<{ id: string; status: string }> = []
  for (let cursor: string | null = ''; cursor !== null; ) {
    const res = await fetch(`${service.gateway.httpUrl}/v1/deliveries?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    })
    const page = (await res.json()) as { items: Array<{ id: string; status: string }>; nextCursor: string | null }
    seen.push(...page.items)
    cursor = page.nextCursor
  }
  t.equal(seen.length, results.deliveries.length, 'the gateway knows every delivery')
  t.same(
    seen.filter((d) => !TERMINAL.has(d.status)),
    [],
    'and has each in a terminal state',
  )
  t.ok(lines.filter((l) => l.includes('reconnected to the MQTT broker')).length >= plan.length, 'each reconnect is logged')
})
