/**
 * The load generator's publishing side, in a worker thread so it has a core
 * of its own: it sends the plan's messages over several MQTT connections,
 * each stamped with its *intended* send time (the sample's `ts`, wall-clock
 * ms with a fraction), and posts its progress to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import mqtt, { type MqttClient } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { BatchWriter, stateCode } from '../protocol/batchCodec.js'
import { topics as makeTopics } from '../protocol/topics.js'
import type { DroneCommand } from '../protocol/commands.js'
import { haversineM, type LatLon } from '../protocol/geo.js'
import { LoadPlan } from './LoadPlan.js'
import { LoadWorld } from './LoadWorld.js'
import type { LoadTunables } from './loadOptions.js'

/** What the publisher thread is given: where to publish, and the load's settings. */
export interface PublisherConfig extends Omit<LoadTunables, 'warmupS' | 'deliveriesPerS' | 'decoder'> {
  brokerUrl: string
  prefix: string
}

/** Main thread → worker, once the worker said it is ready. */
export interface StartMessage {
  /** Wall-clock ms at which message 0 is intended. */
  startAt: number
}

export type PublisherMessage =
  | { type: 'ready' }
  | { type: 'progress'; sent: number; late: number }
  /** `sent`: the plan's positions that went out; `duplicates`: the extra copies sent on purpose. */
  | { type: 'done'; sent: number; skipped: number; duplicates: number; reordered: number }
  | { type: 'error'; message: string }

const wallNow = (): number => performance.timeOrigin + performance.now()
const cruise = stateCode('cruise')
const idle = stateCode('idle')
/** How fast an assigned drone flies its mission, m/s. */
const MISSION_MPS = 15

/** A drone the engine assigned: it flies from where it was to the pickup, then on to the drop-off. */
interface Mission {
  from: LatLon
  legs: LatLon[]
  at: number
}

function along(m: Mission, now: number): LatLon {
  let left = ((now - m.at) / 1000) * MISSION_MPS
  let p = m.from
  for (const to of m.legs) {
    const d = haversineM(p.lat, p.lon, to.lat, to.lon)
    if (left < d) return { lat: p.lat + ((to.lat - p.lat) * left) / d, lon: p.lon + ((to.lon - p.lon) * left) / d }
    left -= d
    p = to
  }
  return p
}

async function main(c: PublisherConfig): Promise<void> {
  const port = parentPort!
  const t = makeTopics(c.prefix)
  const plan = new LoadPlan(c.phases)
  const clients: MqttClient[] = []
  for (let i = 0; i < c.connections; i++) {
    const client = await mqtt.connectAsync(c.brokerUrl, { clientId: `dronefleet-bench-pub-${process.pid}-${i}`, reconnectPeriod: 0 })
    ;(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
    clients.push(client)
  }
  const world = new LoadWorld(c.load ?? 'ingest', c.drones, c.wsClients)
  // The engine's commands reach the drones they name: an assigned drone flies its mission from then on.
  const missions = new Map<number, Mission>()
  if (world.kind === 'realistic') {
    const commands = clients[0] as MqttClient
    commands.on('message', (_topic, payload) => {
      try {
        const cmd = JSON.parse(payload.toString()) as DroneCommand
        const drone = Number(cmd.droneId.slice(2)) - 1
        const was = missions.get(drone)
        const from = was ? along(was, wallNow()) : world.isIdle(drone) ? world.depotOf(drone) : world.cruiseAt(drone, 0)
        missions.set(drone, {
          from,
          at: wallNow(),
          legs: cmd.type === 'AssignDelivery' ? [cmd.pickup, cmd.dropoff, cmd.depot] : [cmd.depot],
        })
      } catch {
        // Not a command this load understands: the drone carries on.
      }
    })
    await commands.subscribeAsync({ [t.commandsAll]: { qos: 1 } })
  }
  const writers = clients.map((_, i) => new BatchWriter(c.batchSize, i))
  const inFlight = clients.map(() => 0)
  const { startAt } = await new Promise<StartMessage>((resolve) => {
    port.once('message', resolve)
    port.postMessage({ type: 'ready' } satisfies PublisherMessage)
  })
  while (wallNow() < startAt) await new Promise((r) => setTimeout(r, 1))

  let sent = 0
  let skipped = 0
  let late = 0
  let lastReport = 0
  // QoS 0 needs no client state, so its PUBLISH packets are encoded here
  // and written to each connection's socket once per loop turn: through
  // MQTT.js, each cost ~19 µs of this thread, which at 50k messages/s took
  // the core the broker and engine need.
  const pending: Buffer[][] = clients.map(() => [])
  const writeOut = (): void => {
    for (let i = 0; i < clients.length; i++) {
      const chunks = pending[i] as Buffer[]
      if (chunks.length === 0) continue
      ;(clients[i] as MqttClient).stream.write(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks))
      chunks.length = 0
    }
  }
  const publish = (conn: number, topic: string, payload: string | Buffer): void => {
    const client = clients[conn] as MqttClient
    if (c.qos === 0) {
      ;(pending[conn] as Buffer[]).push(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }))
      return
    }
    if ((inFlight[conn] as number) >= c.window) {
      skipped++ // the window is full: the message is lost to the load, and counted
      return
    }
    inFlight[conn] = (inFlight[conn] as number) + 1
    client.publish(topic, payload, { qos: 1 }, () => {
      inFlight[conn] = (inFlight[conn] as number) - 1
    })
  }
  const firstAt = clients.map(() => 0)
  const flush = (conn: number): void => {
    const w = writers[conn] as BatchWriter
    if (w.count === 0) return
    firstAt[conn] = 0
    publish(conn, t.telemetryBatch(conn), Buffer.from(w.finish()))
    w.reset()
  }

  const emit = (drone: number, seq: number, ts: number): void => {
    const conn = drone % c.connections
    const mission = missions.get(drone)
    const waiting = !mission && world.isIdle(drone)
    const { lat, lon } = mission ? along(mission, ts) : waiting ? world.depotOf(drone) : world.cruiseAt(drone, seq)
    const [alt, speed] = waiting ? [0, 0] : [60, 15]
    if (c.format === 'json') {
      publish(
        conn,
        t.telemetry(`d-${drone + 1}`),
        `{"droneId":"d-${drone + 1}","seq":${seq},"ts":${ts},"lat":${lat},"lon":${lon},"alt":${alt},"speed":${speed},"heading":90,"battery":0.8,"state":"${waiting ? 'idle' : 'cruise'}"}`,
      )
    } else {
      const w = writers[conn] as BatchWriter
      if (w.count === 0) firstAt[conn] = wallNow()
      w.push(drone + 1, seq, ts, lat, lon, alt, speed, 90, 0.8, waiting ? idle : cruise)
      if (w.count >= c.batchSize) flush(conn)
    }
  }
  // Injected faults at a set rate, spread evenly (no randomness: a run is repeatable).
  const dupRate = c.duplicateRate ?? 0
  const reorderRate = c.reorderRate ?? 0
  let dupDue = 0
  let reorderDue = 0
  let duplicates = 0
  let reordered = 0
  const held = new Map<number, { seq: number; ts: number }>()

  while (sent < plan.total) {
    const elapsedS = (wallNow() - startAt) / 1000
    const due = plan.countBy(elapsedS)
    if (due - sent > 1000) late++
    for (; sent < due; sent++) {
      const drone = sent % c.drones
      const seq = Math.floor(sent / c.drones)
      const ts = startAt + plan.timeOf(sent) * 1000
      const heldBack = held.get(drone)
      reorderDue += reorderRate
      if (!heldBack && reorderDue >= 1) {
        // Held back until this drone's next position has gone: it then arrives out of order.
        reorderDue -= 1
        held.set(drone, { seq, ts })
        continue
      }
      emit(drone, seq, ts)
      if (heldBack) {
        held.delete(drone)
        emit(drone, heldBack.seq, heldBack.ts)
        reordered++
      }
      dupDue += dupRate
      if (dupDue >= 1) {
        dupDue -= 1
        emit(drone, seq, ts)
        duplicates++
      }
    }
    // Frames fill up to batchSize; a slow trickle still leaves within lingerMs.
    const wall = wallNow()
    for (let i = 0; i < writers.length; i++) if (firstAt[i] && wall - (firstAt[i] as number) >= c.lingerMs) flush(i)
    writeOut()
    if (elapsedS - lastReport >= 1) {
      lastReport = Math.floor(elapsedS)
      port.postMessage({ type: 'progress', sent, late } satisfies PublisherMessage)
    }
    // Everything due is out: sleep until the next message is due, at least
    // a millisecond. Spinning on setImmediate instead kept this thread at a
    // full core at any high rate, taking it from the broker and the engine on
    // a small machine; a message sent up to ~1 ms late is still measured from
    // its intended time.
    const waitMs = sent < plan.total ? startAt + plan.timeOf(sent) * 1000 - wallNow() : 0
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(waitMs, c.lingerMs))))
  }
  // Positions still held have no later one to follow: they go last.
  for (const [drone, h] of held) emit(drone, h.seq, h.ts)
  for (let i = 0; i < writers.length; i++) flush(i)
  writeOut()
  await Promise.all(clients.map((cl) => cl.endAsync()))
  port.postMessage({ type: 'done', sent: sent - skipped, skipped, duplicates, reordered } satisfies PublisherMessage)
}

main(workerData as PublisherConfig).catch((err: unknown) => {
  parentPort?.postMessage({ type: 'error', message: (err as Error).message } satisfies PublisherMessage)
})
