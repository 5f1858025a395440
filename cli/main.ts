#!/usr/bin/env node
import { availableParallelism } from 'node:os'
import { Command, CommanderError, Option } from 'commander'
import { DronefleetError } from '../protocol/errors.js'
import { VERSION } from '../protocol/version.js'
import { ScenarioError } from '../sim/scenario/loadScenario.js'
import { exitCodeOf, ExitCodes } from './exitCodes.js'
import { choiceFlag, fractionFlag, intFlag, portFlag, positiveIntFlag, regionsFlag, speedFlag, startFlag, urlFlag } from './flags.js'
import { benchCommand } from './benchCommand.js'
import { demoCommand } from './demoCommand.js'
import { runCommand } from './runCommand.js'
import { serveCommand } from './serveCommand.js'
import { simCommand } from './simCommand.js'
import { validateCommand } from './validate.js'

const io = {
  stdout: (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  stderr: (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
}
const defaultWorkers = Math.max(1, Math.min(4, availableParallelism() - 1))
const brokerUrl = urlFlag('--broker', ['mqtt', 'mqtts', 'tcp', 'ws', 'wss'], 'DRONEFLEET_BROKER')
/**
 * Secrets may come from the environment, which keeps them out of `ps` and
 * shell history: DRONEFLEET_<FLAG> for the flag that would carry one
 * (--api-key, and --broker and --store, whose URLs hold passwords). The flag
 * wins when both are given.
 */
const apiKeyOption = (description: string): Option => new Option('--api-key <key>', description).env('DRONEFLEET_API_KEY')
const brokerOption = (description: string): Option =>
  new Option('--broker <url>', description).env('DRONEFLEET_BROKER').argParser(brokerUrl)

const program = new Command()
  .name('dronefleet')
  .description('Drone-delivery fleet simulator and telemetry engine')
  .version(VERSION, '-V, --version', 'print the version')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })

program
  .command('run')
  .description('run a scenario end to end: embedded broker (or --broker), engine, gateway, simulator')
  .argument('<scenario>', 'scenario YAML file')
  .option('--seed <n>', 'override the scenario seed', intFlag('--seed'))
  .option('--speed <x>', 'multiple of real time, or "max"', speedFlag)
  .option('--workers <n>', 'simulator worker threads', positiveIntFlag('--workers', 64), defaultWorkers)
  .option('--out <dir>', 'where results.json and report.html go (default results/<scenario name>)')
  .addOption(brokerOption('use this MQTT broker instead of the embedded one'))
  .action(async (file: string, flags) => {
    process.exitCode = await runCommand(file, flags)
  })

program
  .command('serve')
  .description('engine + gateway (+ embedded broker unless --broker) as a long-running service')
  .addOption(brokerOption('use this MQTT broker instead of the embedded one'))
  .option('--mqtt-port <n>', 'embedded broker port', portFlag('--mqtt-port'), 1883)
  .option('--http-port <n>', 'REST port', portFlag('--http-port'), 8080)
  .option('--ws-port <n>', 'WebSocket port', portFlag('--ws-port'), 8081)
  .option('--host <addr>', 'address to listen on', '127.0.0.1')
  .addOption(apiKeyOption('operator API key (generated and printed when not given)'))
  .option(
    '--public-url <url>',
    'the HTTP base URL clients use behind a proxy: returned links (tracking pages) start with it',
    urlFlag('--public-url', ['http', 'https']),
  )
  .option(
    '--public-ws-url <url>',
    'the WebSocket base URL clients use behind a proxy (default: --public-url with ws/wss)',
    urlFlag('--public-ws-url', ['ws', 'wss']),
  )
  .option('--show-secrets', "print the simulator's broker password in its command line (hidden by default)")
  .option('--scenario <file>', 'take the drone profile, depots, zones and regions from a scenario')
  .option('--prefix <topic>', 'MQTT topic prefix', 'dronefleet/v1')
  .addOption(
    new Option(
      '--role <role>',
      'all: engine, gateway and broker in one process; engine: owns regions by lease; gateway: REST and WebSocket only',
    )
      .choices(['all', 'engine', 'gateway'])
      .default('all'),
  )
  .option('--holder <name>', "an engine's unique name among engines (default: the host name and pid)")
  .addOption(
    new Option(
      '--data <dir>',
      "the embedded store's directory: accepted deliveries, their events, secrets (default ./dronefleet-data)",
    ).conflicts('store'),
  )
  .addOption(
    new Option('--store <url>', 'a PostgreSQL store instead of the embedded one: postgres://user@host/db')
      .env('DRONEFLEET_STORE')
      .conflicts('data')
      .argParser(urlFlag('--store', ['postgres', 'postgresql'], 'DRONEFLEET_STORE')),
  )
  .action(async (flags) => {
    process.exitCode = await serveCommand(flags)
  })

program
  .command('demo')
  .description('see it live: the service and a simulator flying a small city from now, with the URLs to open; Ctrl-C stops it')
  .argument('[scenario]', 'scenario YAML file (default: scenarios/demo.yaml)')
  .option('--mqtt-port <n>', 'embedded broker port', portFlag('--mqtt-port'), 1883)
  .option('--http-port <n>', 'REST and pages port', portFlag('--http-port'), 8080)
  .option('--ws-port <n>', 'WebSocket port', portFlag('--ws-port'), 8081)
  .option('--host <addr>', 'address to listen on', '127.0.0.1')
  .addOption(apiKeyOption('operator API key (generated and printed when not given)'))
  .option('--seed <n>', 'override the scenario seed', intFlag('--seed'))
  .option('--speed <x>', 'multiple of real time, or "max" (default: the scenario\'s)', speedFlag)
  .option('--workers <n>', 'simulator worker threads', positiveIntFlag('--workers', 64), 1)
  .option('--out <dir>', 'where results.json and report.html go when it stops (default results/<scenario name>)')
  .action(async (file: string | undefined, flags) => {
    process.exitCode = await demoCommand(file, flags)
  })

program
  .command('sim')
  .description('the simulator alone, against a running service')
  .argument('<scenario>', 'scenario YAML file')
  .addOption(brokerOption("the service's MQTT broker").makeOptionMandatory())
  .requiredOption('--gateway <url>', "the service's HTTP base URL", urlFlag('--gateway', ['http', 'https']))
  .addOption(apiKeyOption("the service's operator API key"))
  .option('--seed <n>', 'override the scenario seed', intFlag('--seed'))
  .option('--speed <x>', 'multiple of real time, or "max"', speedFlag)
  .option('--workers <n>', 'simulator worker threads', positiveIntFlag('--workers', 64), defaultWorkers)
  .option(
    '--engine-timeout <s>',
    'seconds, while connected, to wait for the engine to confirm a tick (a service restarting) before giving up',
    positiveIntFlag('--engine-timeout', 86_400),
    15,
  )
  .option('--out <dir>', 'where results.json and report.html go')
  .option('--prefix <topic>', 'MQTT topic prefix', 'dronefleet/v1')
  .option(
    '--start <time>',
    'simulated start: an ISO date-time, or "scenario" for the file\'s (default: now, the service\'s clock)',
    startFlag,
  )
  .option(
    '--regions <ids>',
    "fly only these regions of the scenario (comma-separated): their depots' drones and the demand picked up in them",
    regionsFlag,
  )
  .action(async (file: string, flags) => {
    process.exitCode = await simCommand(file, flags)
  })

program
  .command('bench')
  .description('telemetry load test: open-model rate or phases, latency percentiles, loss, thresholds, JSON report')
  .option('--rate <n>', 'positions per second', positiveIntFlag('--rate', 10_000_000), 10_000)
  .option('--duration <s>', 'seconds at --rate', positiveIntFlag('--duration', 86_400), 10)
  .option('--phases <list>', 'instead of --rate/--duration: RATE@SECONDS or FROM->TO@SECONDS, comma-separated')
  .option(
    '--warmup <s>',
    'seconds of ramp from 0 to the first rate before the measured load, then that rate until every drone has reported once; left out of the figures (0 to measure a cold start)',
    intFlag('--warmup'),
    2,
  )
  .option('--drones <n>', 'distinct drones the positions come from', positiveIntFlag('--drones', 1_000_000), 1000)
  .option('--connections <n>', 'publisher MQTT connections', positiveIntFlag('--connections', 1000), 4)
  .option('--format <f>', 'json (one sample per message) or binary (batch frames)', choiceFlag('--format', ['json', 'binary']), 'json')
  .option('--batch <n>', 'positions per binary frame at most', positiveIntFlag('--batch', 100_000), 500)
  .option('--linger <ms>', 'how long a partly filled binary frame may wait', positiveIntFlag('--linger', 10_000), 5)
  .option('--qos <q>', 'MQTT QoS of telemetry: 0 or 1', (v: string) => Number(choiceFlag('--qos', ['0', '1'])(v)), 0)
  .option('--window <n>', 'QoS 1 publishes in flight per connection', positiveIntFlag('--window', 100_000), 1000)
  .option('--ws-clients <n>', 'WebSocket clients, each tracking one live delivery (in a thread of their own)', intFlag('--ws-clients'), 0)
  .option(
    '--load <kind>',
    'realistic (depots, idle and busy drones, deliveries, zones) or ingest (every drone cruising, nothing else)',
    choiceFlag('--load', ['realistic', 'ingest']),
    'realistic',
  )
  .option(
    '--deliveries <n>',
    'realistic load: delivery requests POSTed per second (default one per 100 drones, at most 50)',
    intFlag('--deliveries'),
  )
  .option('--duplicates <fraction>', 'share of positions sent twice, 0..1', fractionFlag('--duplicates'), 0)
  .option('--reorder <fraction>', "share of positions sent after their drone's next one, 0..1", fractionFlag('--reorder'), 0)
  .option(
    '--decoder <where>',
    "over an external broker: decode telemetry in a thread of its own (thread, as serve does) or on the engine's event loop (inline)",
    choiceFlag('--decoder', ['thread', 'inline']),
    'thread',
  )
  .option(
    '--find-max',
    'capacity search: run --steps in turn until both the engine and the bare pipe lose a position or pass the p99 bound',
  )
  .option('--steps <list>', 'with --find-max: rates, comma-separated (defaults per --format)')
  .option('--step-duration <s>', 'with --find-max: measured seconds per step', positiveIntFlag('--step-duration', 3600), 5)
  .option(
    '--p99-bound <ms>',
    'with --find-max: highest p99 a step may have (default 25 for json, 100 for binary)',
    positiveIntFlag('--p99-bound', 3_600_000),
  )
  .addOption(
    new Option('--broker <url>', 'broker to test: "embedded" (default) or a URL; repeat to compare brokers side by side')
      .env('DRONEFLEET_BROKER')
      .argParser((v: string, acc: string[]) => [...acc, v === 'embedded' ? v : brokerUrl(v)])
      .default([] as string[]),
  )
  .option(
    '--threshold <expr>',
    'fail (exit 1) unless it holds, e.g. "p99<25ms", "loss==0", "ratio>=0.9"; repeatable',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option('--out <file>', 'JSON report', 'results/bench.json')
  .action(async (flags) => {
    process.exitCode = await benchCommand(flags)
  })

program
  .command('validate')
  .description('check a scenario file; errors name line, field and value')
  .argument('<scenario>', 'scenario YAML file')
  .action(async (file: string) => {
    process.exitCode = await validateCommand(file, io)
  })

try {
  await program.parseAsync(process.argv)
} catch (err) {
  process.exitCode = report(err)
}

/**
 * An error with a code prints its message and code and exits with what its
 * code declares (cli/exitCodes.ts): 2 bad input, 4 a service unavailable.
 * Anything else is a bug and says so (3).
 */
function report(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help'
      ? ExitCodes.OK
      : ExitCodes.BAD_INPUT
  }
  if (err instanceof ScenarioError && err.issues.length > 0) {
    for (const i of err.issues) io.stderr(`${err.file}:${i.line}:${i.column}  ${i.field}  ${i.message}`)
    return exitCodeOf(err.code)
  }
  if (err instanceof DronefleetError) {
    io.stderr(`dronefleet: ${err.message} [${err.code}]`)
    return exitCodeOf(err.code)
  }
  io.stderr(`dronefleet: unexpected failure: ${(err as Error)?.stack ?? String(err)}`)
  return ExitCodes.BUG
}
