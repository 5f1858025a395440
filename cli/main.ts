#!/usr/bin/env node
import { availableParallelism } from 'node:os'
import { Command, CommanderError } from 'commander'
import { DronefleetError } from '../protocol/errors.js'
import { ScenarioError } from '../sim/loadScenario.js'
import { choiceFlag, intFlag, portFlag, positiveIntFlag, speedFlag, urlFlag } from './flags.js'
import { benchCommand } from './benchCommand.js'
import { runCommand } from './runCommand.js'
import { serveCommand } from './serveCommand.js'
import { simCommand } from './simCommand.js'
import { validateCommand } from './validate.js'

const io = { stdout: (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`), stderr: (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`) }
const defaultWorkers = Math.max(1, Math.min(4, availableParallelism() - 1))
const brokerUrl = urlFlag('--broker', ['mqtt', 'mqtts', 'tcp', 'ws', 'wss'])

const program = new Command()
  .name('dronefleet')
  .description('Drone-delivery fleet simulator and telemetry engine')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })

program.command('run')
  .description('run a scenario end to end: embedded broker (or --broker), engine, gateway, simulator')
  .argument('<scenario>', 'scenario YAML file')
  .option('--seed <n>', 'override the scenario seed', intFlag('--seed'))
  .option('--speed <x>', 'multiple of real time, or "max"', speedFlag)
  .option('--workers <n>', 'simulator worker threads', positiveIntFlag('--workers', 64), defaultWorkers)
  .option('--out <dir>', 'where results.json and report.html go (default results/<scenario name>)')
  .option('--broker <url>', 'use this MQTT broker instead of the embedded one', brokerUrl)
  .action(async (file: string, flags) => { process.exitCode = await runCommand(file, flags) })

program.command('serve')
  .description('engine + gateway (+ embedded broker unless --broker) as a long-running service')
  .option('--broker <url>', 'use this MQTT broker instead of the embedded one', brokerUrl)
  .option('--mqtt-port <n>', 'embedded broker port', portFlag('--mqtt-port'), 1883)
  .option('--http-port <n>', 'REST port', portFlag('--http-port'), 8080)
  .option('--ws-port <n>', 'WebSocket port', portFlag('--ws-port'), 8081)
  .option('--host <addr>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'operator API key (generated and printed when not given)')
  .option('--scenario <file>', 'take the drone profile and depots from a scenario')
  .option('--prefix <topic>', 'MQTT topic prefix', 'dronefleet/v1')
  .action(async (flags) => { process.exitCode = await serveCommand(flags) })

program.command('sim')
  .description('the simulator alone, against a running service')
  .argument('<scenario>', 'scenario YAML file')
  .requiredOption('--broker <url>', 'the service\'s MQTT broker', brokerUrl)
  .requiredOption('--gateway <url>', 'the service\'s HTTP base URL', urlFlag('--gateway', ['http', 'https']))
  .option('--api-key <key>', 'the service\'s operator API key')
  .option('--seed <n>', 'override the scenario seed', intFlag('--seed'))
  .option('--speed <x>', 'multiple of real time, or "max"', speedFlag)
  .option('--workers <n>', 'simulator worker threads', positiveIntFlag('--workers', 64), defaultWorkers)
  .option('--out <dir>', 'where results.json and report.html go')
  .option('--prefix <topic>', 'MQTT topic prefix', 'dronefleet/v1')
  .action(async (file: string, flags) => { process.exitCode = await simCommand(file, flags) })

program.command('bench')
  .description('telemetry load test: open-model rate or phases, latency percentiles, loss, thresholds, JSON report')
  .option('--rate <n>', 'positions per second', positiveIntFlag('--rate', 10_000_000), 10_000)
  .option('--duration <s>', 'seconds at --rate', positiveIntFlag('--duration', 86_400), 10)
  .option('--phases <list>', 'instead of --rate/--duration: RATE@SECONDS or FROM->TO@SECONDS, comma-separated')
  .option('--warmup <s>', 'seconds of ramp from 0 to the first rate before the measured load, left out of the figures (0 to measure a cold start)', intFlag('--warmup'), 2)
  .option('--drones <n>', 'distinct drones the positions come from', positiveIntFlag('--drones', 1_000_000), 1000)
  .option('--connections <n>', 'publisher MQTT connections', positiveIntFlag('--connections', 1000), 4)
  .option('--format <f>', 'json (one sample per message) or binary (batch frames)', choiceFlag('--format', ['json', 'binary']), 'json')
  .option('--batch <n>', 'positions per binary frame at most', positiveIntFlag('--batch', 100_000), 500)
  .option('--linger <ms>', 'how long a partly filled binary frame may wait', positiveIntFlag('--linger', 10_000), 5)
  .option('--qos <q>', 'MQTT QoS of telemetry: 0 or 1', (v: string) => Number(choiceFlag('--qos', ['0', '1'])(v)), 0)
  .option('--window <n>', 'QoS 1 publishes in flight per connection', positiveIntFlag('--window', 100_000), 1000)
  .option('--ws-clients <n>', 'WebSocket clients, each tracking one delivery', intFlag('--ws-clients'), 0)
  .option('--broker <url>', 'broker to test: "embedded" (default) or a URL; repeat to compare brokers side by side', (v: string, acc: string[]) => [...acc, v === 'embedded' ? v : brokerUrl(v)], [] as string[])
  .option('--threshold <expr>', 'fail (exit 1) unless it holds, e.g. "p99<25ms", "loss==0", "ratio>=0.9"; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--out <file>', 'JSON report', 'results/bench.json')
  .action(async (flags) => { process.exitCode = await benchCommand(flags) })

program.command('validate')
  .description('check a scenario file; errors name line, field and value')
  .argument('<scenario>', 'scenario YAML file')
  .action(async (file: string) => { process.exitCode = await validateCommand(file, io) })

try {
  await program.parseAsync(process.argv)
} catch (err) {
  process.exitCode = report(err)
}

/** Bad input exits 2 with its code and message; anything else is a bug and says so. */
function report(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2
  }
  if (err instanceof ScenarioError && err.issues.length > 0) {
    for (const i of err.issues) io.stderr(`${err.file}:${i.line}:${i.column}  ${i.field}  ${i.message}`)
    return 2
  }
  if (err instanceof DronefleetError) {
    io.stderr(`dronefleet: ${err.message} [${err.code}]`)
    return 2
  }
  io.stderr(`dronefleet: unexpected failure: ${(err as Error)?.stack ?? String(err)}`)
  return 3
}
