/**
 * WebSocket fan-out: N customers each track one delivery whose drone reports
 * at 1 Hz. Measures telemetry → client latency (the tracking message's `ts`,
 * stamped when the "engine" publishes it, to the moment a client has parsed
 * it) through the embedded broker, the gateway and a real WebSocket.
 *
 *   node dist/bench/ws-fanout.js [--clients 10000] [--seconds 15]
 *
 * Two processes on loopback: this one runs the broker and the gateway (what
 * `dronefleet serve` runs, minus the engine); a child plays the engine
 * (publishes one tracking message per delivery per second, spread evenly over
 * the second) and the N clients (ws), recording latencies in an HDR histogram.
 * Bounded: at most 20,000 clients and 60 s of measurement.
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as hdr from 'hdr-histogram-js'
import WebSocket from 'ws'
import { clientId, connectMqtt } from '../broker/connectMqtt.js'
import type { EngineView } from '../gateway/EngineView.js'
import { startEmbeddedBroker } from '../broker/embeddedBroker.js'
import { startGateway } from '../gateway/startGateway.js'
import { signTrackingToken } from '../gateway/trackingToken.js'
import type { DeliveryEvent } from '../protocol/events.js'
import { topics } from '../protocol/topics.js'
import type { TrackingMessage } from '../protocol/tracking.js'
import type { EngineStats } from '../protocol/views.js'

interface LoadJob {
  brokerUrl: string
  wsUrl: string
  clients: number
  seconds: number
  warmupS: number
  deliveries: Array<{ id: string; token: string }>
}
type LoadReport =
  | { kind: 'connected'; clients: number; failed: number; ms: number }
  | { kind: 'done'; histogram: string; received: number; expected: number; published: number; closed: number }

const T = topics()
const now = (): number => performance.timeOrigin + performance.now()
const arg = (name: string, def: number, max: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i < 0 ? def : Number(process.argv[i + 1])
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be a whole number 1..${max}, got ${process.argv[i + 1]}`)
  return v
}

if (process.argv.includes('--role=load')) {
  process.once('message', (job: LoadJob) => {
    void runLoad(job).catch((err) => {
      console.error(err)
      process.exit(1)
    })
  })
} else {
  await main()
}

async function main(): Promise<void> {
  const clients = arg('clients', 10_000, 20_000)
  const seconds = arg('seconds', 15, 60)
  const warmupS = 3
  const secret = randomBytes(32)
  const engine: EngineView = { drones: () => [], drone: () => undefined, stats: () => ({}) as EngineStats }
  const broker = await startEmbeddedBroker({ port: 0 })
  const mqtt = await connectMqtt(broker.url, clientId('bench-gateway')) // TCP_NODELAY, as the service's clients
  const gw = await startGateway({ mqtt, topics: T, engine, httpPort: 0, wsPort: 0, apiKey: null, trackingSecret: secret, logger: false })

  // Deliveries exist once the gateway has seen their DeliveryCreated, as when the engine confirms a request.
  const pub = await connectMqtt(broker.url, clientId('bench-setup'))
  const deliveries: LoadJob['deliveries'] = []
  const t0 = Date.now()
  for (let i = 0; i < clients; i++) {
    const id = `del-bench-${i}`
    const e: DeliveryEvent = {
      type: 'DeliveryCreated',
      deliveryId: id,
      ts: t0,
      pickup: { lat: 47.6, lon: -122.3 },
      dropoff: { lat: 47.62, lon: -122.32 },
      weightKg: 1,
      deadline: null,
    }
    pub.publish(T.deliveryEvents(id), JSON.stringify(e), { qos: 1 })
    deliveries.push({ id, token: signTrackingToken(secret, id, t0 + 3_600_000) })
  }
  await pub.endAsync()
  // Events of one publisher arrive in order: the last one known means all are.
  while ((await fetch(`${gw.httpUrl}/v1/deliveries/del-bench-${clients - 1}`)).status !== 200) await new Promise((r) => setTimeout(r, 50))

  const child = fork(process.argv[1] as string, ['--role=load'], { stdio: 'inherit' })
  const cpu0 = process.cpuUsage()
  const report = await new Promise<Extract<LoadReport, { kind: 'done' }>>((resolve, reject) => {
    child.on('message', (m: LoadReport) => {
      if (m.kind === 'connected') {
        process.stderr.write(
          `ws-fanout: ${m.clients} clients connected (${m.failed} failed) in ${(m.ms / 1000).toFixed(1)} s; measuring ${seconds} s after ${warmupS} s warm-up\n`,
        )
      } else resolve(m)
    })
    child.on('exit', (code) => reject(new Error(`load process exited with ${code}`)))
    child.send({ brokerUrl: broker.url, wsUrl: gw.wsUrl, clients, seconds, warmupS, deliveries } satisfies LoadJob)
  })
  const cpuMeasured = process.cpuUsage(cpu0)
  child.kill()

  const h = hdr.decodeFromCompressedBase64(report.histogram)
  const us = (p: number): string => (h.getValueAtPercentile(p) / 1000).toFixed(1)
  const gwCpu = (cpuMeasured.user + cpuMeasured.system) / 1e6
  const lines = [
    `ws-fanout: ${clients} clients, each tracking one delivery at 1 Hz, ${seconds} s measured (loopback, embedded broker, ${process.platform}, ${(await import('node:os')).cpus().length} cores)`,
    `  delivered  ${report.received} tracking messages to clients (${report.published} published in the window, ${report.expected} at exactly 1 Hz), ${(report.received / seconds).toFixed(0)} msg/s`,
    `  latency    telemetry → client, ms: p50 ${us(50)}  p90 ${us(90)}  p99 ${us(99)}  p99.9 ${us(99.9)}  max ${(h.maxValue / 1000).toFixed(1)}`,
    `  gateway    process CPU ${(gwCpu).toFixed(1)} s over the run (broker + gateway), clients closed early: ${report.closed}`,
    `  target     p99 ≤ 50 ms at 10,000 clients: ${clients >= 10_000 && h.getValueAtPercentile(99) <= 50_000 ? 'met' : 'not met'}`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  await gw.close()
  await mqtt.endAsync()
  await broker.close()
}

async function runLoad(job: LoadJob): Promise<void> {
  const send = (m: LoadReport): void => void process.send?.(m)
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 })
  let measuring = false
  let received = 0
  let closed = 0
  const sockets: WebSocket[] = []
  const started = Date.now()
  let failed = 0
  // Open in batches, so the handshakes do not all time out together.
  for (let i = 0; i < job.clients; i += 250) {
    const batch = job.deliveries.slice(i, i + 250).map(
      (d) =>
        new Promise<void>((resolve) => {
          const ws = new WebSocket(`${job.wsUrl}/v1/track/${d.id}?token=${encodeURIComponent(d.token)}`, { perMessageDeflate: false })
          ws.on('message', (data) => {
            const m = JSON.parse(data.toString()) as { type: string; ts: number }
            if (m.type !== 'tracking' || !measuring) return
            h.recordValue(Math.max(1, Math.round((now() - m.ts) * 1000)))
            received++
          })
          ws.once('open', () => {
            sockets.push(ws)
            resolve()
          })
          ws.once('error', () => {
            failed++
            resolve()
          })
          ws.once('close', () => closed++)
        }),
    )
    await Promise.all(batch)
  }
  send({ kind: 'connected', clients: sockets.length, failed, ms: Date.now() - started })

  // The engine: one tracking message per delivery per second, spread evenly: each tick sends what is due by now.
  const mqtt = await connectMqtt(job.brokerUrl, clientId('bench-engine'))
  const ids = job.deliveries.map((d) => d.id)
  const begin = performance.now()
  let sentTotal = 0
  let published = 0
  let seq = 0
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - begin) / 1000) * ids.length)
    for (; sentTotal < due; sentTotal++) {
      const k = sentTotal % ids.length
      const id = ids[k] as string
      const m: TrackingMessage = {
        type: 'tracking',
        deliveryId: id,
        droneId: `d-${k}`,
        ts: now(),
        position: { lat: 47.6 + (seq % 1000) * 1e-5, lon: -122.3, alt: 60 },
        speed: 15,
        heading: 90,
        battery: 0.8,
        droneState: 'cruise',
        status: 'HeadedToPickup',
        eta: { at: Date.now() + 600_000, p10: Date.now() + 550_000, p90: Date.now() + 700_000 },
      }
      mqtt.publish(T.tracking(id), JSON.stringify(m), { qos: 0 })
      if (measuring) published++
    }
    seq++
  }, 5)

  await new Promise((r) => setTimeout(r, job.warmupS * 1000))
  measuring = true
  await new Promise((r) => setTimeout(r, job.seconds * 1000))
  measuring = false
  clearInterval(tick)
  send({ kind: 'done', histogram: hdr.encodeIntoCompressedBase64(h), received, expected: sockets.length * job.seconds, published, closed })
  for (const ws of sockets) ws.terminate()
  await mqtt.endAsync()
}
