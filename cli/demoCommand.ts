import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { basemapFromEnv } from '../gateway/basemap.js'
import { formatDuration } from '../sim/report/formatDuration.js'
import { loadScenario } from '../sim/scenario/loadScenario.js'
import { scenarioEngineOptions } from '../service/scenarioEngineOptions.js'
import { simulate } from '../service/simulate.js'
import { startService } from '../service/startService.js'
import { ExitCodes } from './exitCodes.js'
import { createLogger } from './logger.js'

export interface DemoFlags {
  mqttPort: number
  httpPort: number
  wsPort: number
  host: string
  apiKey?: string
  speed?: number | 'max'
  seed?: number
  workers: number
  out?: string
}

/** The small city `dronefleet demo` flies when given no scenario. */
export const DEMO_SCENARIO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url))

/** How many of the first deliveries get their tracking page printed. */
const TRACKING_LINKS = 3

/**
 * `dronefleet demo`: the service and a simulator flying a small city from the
 * present time, in one process, with the URLs to open printed; it runs until
 * Ctrl-C (SIGINT) or SIGTERM, then stops the simulator after its tick, closes
 * the service and says what was flown. When the scenario ends first, the
 * service keeps serving until then, so the pages stay open.
 */
export async function demoCommand(file: string | undefined, flags: DemoFlags): Promise<number> {
  const loaded = await loadScenario(file ?? DEMO_SCENARIO)
  // Tiles under the pages and the report's map, as `serve` and `run` take them.
  const basemap = basemapFromEnv(process.env)
  // Today's clock, as `sim` does: tracking links, deadlines and the pages' clocks are the viewer's.
  const scenario = {
    ...loaded,
    start: Math.floor(Date.now() / 1000) * 1000,
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
  }
  const speed = flags.speed ?? scenario.speed
  const apiKey = flags.apiKey || randomBytes(16).toString('hex')
  const logger = createLogger('warn')
  const say = (line: string): void => void process.stdout.write(`${line}\n`)

  const stop = new AbortController()
  let stopped: () => void = () => undefined
  const stoppedByUser = new Promise<void>((resolve) => {
    stopped = resolve
  })
  const onSignal = (): void => {
    if (stop.signal.aborted) {
      process.stderr.write('\nstopping at once\n')
      process.exit(ExitCodes.INTERRUPTED)
    }
    process.stderr.write('\nstopping the demo (Ctrl-C again to quit at once)\n')
    stop.abort()
    stopped()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const service = await startService({
      mqttPort: flags.mqttPort,
      httpPort: flags.httpPort,
      wsPort: flags.wsPort,
      host: flags.host,
      apiKey,
      ...scenarioEngineOptions(scenario),
      logger,
      ...(basemap ? { gateway: { basemap } } : {}),
    })
    try {
      const http = service.gateway.httpUrl
      const drones = scenario.depots.reduce((n, d) => n + d.drones, 0)
      say(
        `dronefleet demo: "${scenario.name}", ${drones} drones at ${scenario.depots.length} depots, ` +
          `${speed === 'max' ? 'as fast as it goes' : `${speed}× real time`}, from now for ${formatDuration(scenario.durationS)} simulated`,
      )
      say(`  open       ${http}/   (the landing page: the operator's live map, the API docs, the metrics)`)
      say(`  api key    ${flags.apiKey ? '(as given)' : `${apiKey}  (the operator map and the REST API ask for it)`}`)
      say(`  fleet      ${service.gateway.wsUrl}/v1/fleet?apiKey=…   metrics ${http}/metrics`)
      say(`Ctrl-C stops the demo. The first deliveries' tracking pages:`)
      let shown = 0
      const done = await simulate({
        scenario,
        brokerUrl: service.brokerUrlFor('sim'),
        gatewayUrl: http,
        apiKey,
        topics: service.topics,
        workers: flags.workers,
        speed,
        out: flags.out,
        logger: logger.child({ part: 'sim' }),
        signal: stop.signal,
        basemap,
        onAccepted: (a) => {
          if (shown++ < TRACKING_LINKS) say(`  tracking   ${a.trackingPage}`)
        },
      })
      if (!stop.signal.aborted) {
        say(`The scenario is over; the service stays up for the pages until Ctrl-C.`)
        await stoppedByUser
      }
      const s = done.results.summary
      say(
        `stopped after ${formatDuration(done.results.wallClock.simulatedS)} simulated: ${s.requested} requested, ` +
          `${s.completed} completed, ${s.inFlight} still in flight; results in ${done.outDir}`,
      )
    } finally {
      await service.close()
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return ExitCodes.OK
}
