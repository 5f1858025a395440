/**
 * Failover time of a region: two engine processes (`serve --role engine`) on
 * a shared Mosquitto and a PostgreSQL database of the bench's own; a drone
 * of region `kirkland` reports every 200 ms and flies a delivery, so its
 * engine publishes tracking on every sample. The engine holding the region is
 * SIGKILLed, and the bench measures, from the kill: the region's lease held
 * again (by the other engine) and the delivery's first tracking message
 * from the new engine. Failover is bounded by the lease's time to live, so it
 * is measured with the default lease (6 s, renewed every 2 s) and with a
 * short one.
 *
 *   MOSQUITTO_URL=mqtt://127.0.0.1:1883 node dist/bench/failover.js [--runs 5] [--ttl 6000 --renew 2000]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connectAsync } from 'mqtt'
import { decodeTracking } from '../protocol/tracking.js'
import { topics } from '../protocol/topics.js'
import { openStore } from '../store/openStore.js'
import { spread, tempStore } from './storeBackends.js'

const args = process.argv.slice(2)
const num = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? def : Number(args[i + 1])
}
const runs = num('runs', 5)
const ttl = num('ttl', 6_000)
const renew = num('renew', 2_000)
const broker = process.env.MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883'
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url))
const SCENARIO = fileURLToPath(new URL('../../scenarios/three-cities.yaml', import.meta.url))
const REGION = 'kirkland'
const DEPOT = { lat: 47.677, lon: -122.206 }
const prefix = `bench-failover-${process.pid}`
const T = topics(prefix)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
async function until<V>(f: () => Promise<V | undefined> | V | undefined): Promise<V> {
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    await sleep(20)
  }
}

const leaseTimes: number[] = []
const trackingTimes: number[] = []
for (let run = 1; run <= runs; run++) {
  const tmp = await tempStore('postgres')
  if (!tmp) process.exit(1)
  const store = await openStore(tmp.spec)
  const engines = new Map<string, ChildProcess>()
  const start = (holder: string): void => {
    const c = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--role',
        'engine',
        '--holder',
        holder,
        '--http-port',
        '0',
        '--store',
        tmp.spec,
        '--broker',
        broker,
        '--scenario',
        SCENARIO,
        '--prefix',
        prefix,
      ],
      {
        env: { ...process.env, DRONEFLEET_LEASE_TTL_MS: String(ttl), DRONEFLEET_LEASE_RENEW_MS: String(renew), DRONEFLEET_LOG: 'warn' },
        stdio: 'ignore',
      },
    )
    engines.set(holder, c)
  }
  const holderOf = async (): Promise<string | undefined> => {
    const { now, leases } = await store.leases()
    return leases.find((l) => l.region === REGION && l.expiresAt > now)?.holder
  }
  const mqtt = await connectAsync(broker)
  let lastTracking = 0
  mqtt.on('message', (topic, payload) => {
    if (topic.endsWith('/tracking') && decodeTracking(payload)) lastTracking = Date.now()
  })
  await mqtt.subscribeAsync(T.trackingAll)
  try {
    start('a')
    await until(holderOf)
    start('b')
    // One drone of the region, at its depot, reporting every 200 ms on the region's topics.
    const R = T.forRegion(REGION)
    let seq = 0
    const report = setInterval(() => {
      const s = { droneId: 'bench-d1', seq: ++seq, ts: Date.now(), ...DEPOT, alt: 0, speed: 0, heading: 0, battery: 1, state: 'idle' }
      mqtt.publish(R.telemetry('bench-d1'), JSON.stringify(s))
    }, 200)
    const id = `bench-failover-${run}`
    const order = { id, pickup: { lat: 47.68, lon: -122.2 }, dropoff: { lat: 47.69, lon: -122.19 }, weightKg: 1, deadline: null }
    await store.accept({ order, idempotencyKey: null, fingerprint: id, region: REGION })
    await mqtt.publishAsync(R.requests, JSON.stringify({ type: 'CreateDelivery', ...order }), { qos: 1 })
    await until(() => (lastTracking > 0 ? true : undefined))
    const victim = (await holderOf()) as string
    const killedAt = Date.now()
    engines.get(victim)?.kill('SIGKILL')
    const leased = await until(async () => {
      const h = await holderOf()
      return h && h !== victim ? Date.now() : undefined
    })
    const tracked = await until(() => (lastTracking > leased ? lastTracking : undefined))
    leaseTimes.push(leased - killedAt)
    trackingTimes.push(tracked - killedAt)
    console.log(`run ${run}: region held again after ${leased - killedAt} ms, first tracking after ${tracked - killedAt} ms`)
    clearInterval(report)
  } finally {
    for (const c of engines.values()) c.kill('SIGKILL')
    await mqtt.endAsync()
    await store.close()
    await tmp.remove()
  }
}
console.log(`failover (lease ${ttl} ms, renewed every ${renew} ms), from SIGKILL of the region's engine:`)
console.log(`  region held again   ${spread(leaseTimes, ' ms')}`)
console.log(`  first tracking      ${spread(trackingTimes, ' ms')}`)
