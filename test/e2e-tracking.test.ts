import t from 'tap'
import WebSocket from 'ws'
import type { DroneView } from '../protocol/views.js'
import type { DeliverySnapshot, TrackMessage } from '../protocol/tracking.js'
import { flyFleet, quietScenario, startTestService, until } from './helpers/service.js'

t.test('a delivery POSTed over HTTP is flown and tracked live until Completed', async (t) => {
  const scenario = quietScenario()
  const service = await startTestService(scenario)
  await flyFleet(t, service, scenario, { workers: 2 })
  const api = service.gateway.httpUrl
  const auth = { authorization: 'Bearer test-key', 'content-type': 'application/json' }

  const drones = await until(
    async () => {
      const body = (await (await fetch(`${api}/v1/drones`, { headers: auth })).json()) as { items: DroneView[] }
      return body.items.length === 3 && body.items.every((d) => d.state === 'idle') ? body.items : undefined
    },
    10_000,
    'three idle drones',
  )
  t.equal(drones.length, 3, 'the fleet reports in')

  const res = await fetch(`${api}/v1/deliveries`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ pickup: { lat: 47.61, lon: -122.33 }, dropoff: { lat: 47.621, lon: -122.33 }, weightKg: 1.2 }),
  })
  t.equal(res.status, 202)
  const accepted = (await res.json()) as { id: string; trackingUrl: string; status: string }
  // The engine, linked in-process, may have assigned a drone before the 202 is written.
  t.ok(['Created', 'HeadedToPickup'].includes(accepted.status), `accepted as ${accepted.status}`)

  const messages: TrackMessage[] = []
  const ws = new WebSocket(accepted.trackingUrl)
  const closed = new Promise<number>((resolve, reject) => {
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as TrackMessage))
    ws.on('close', (code) => resolve(code))
    ws.on('error', reject)
  })
  t.equal(await closed, 1000, 'the server closes cleanly after the delivery ends')

  t.equal(messages[0]?.type, 'snapshot', 'the first message is a snapshot')
  const tracking = messages.filter((m) => m.type === 'tracking')
  t.ok(tracking.length >= 20, `many tracking messages (${tracking.length})`)
  t.ok(
    tracking.every((m) => m.deliveryId === accepted.id && m.droneId === tracking[0]?.droneId),
    'all of this delivery, from one drone',
  )
  // While the drone cruises toward the drop-off, the time left must fall.
  const left = tracking
    .filter((m) => m.status === 'HeadedToDropoff' && m.droneState === 'cruise' && m.eta)
    .map((m) => (m.eta!.at - m.ts) / 1000)
  t.ok(left.length >= 10, `cruise samples (${left.length})`)
  t.ok(
    left.every((s, i) => i === 0 || s <= left[i - 1]! + 1),
    'remaining time never rises by more than a second',
  )
  t.ok(left[0]! - left[left.length - 1]! > 30, `remaining time fell from ${left[0]} s to ${left[left.length - 1]} s`)
  const eta = tracking.find((m) => m.eta)!.eta!
  t.ok(eta.p10 <= eta.at && eta.at <= eta.p90, 'the ETA lies inside its P10-P90 window')
  const last = messages[messages.length - 1]
  t.same(
    last && last.type === 'status' && [last.status, last.event.type],
    ['Completed', 'DeliveryCompleted'],
    'the last message says Completed',
  )

  const snap = (await (await fetch(`${api}/v1/deliveries/${accepted.id}`, { headers: auth })).json()) as DeliverySnapshot
  t.equal(snap.status, 'Completed')
  t.equal(snap.droneId, tracking[0]!.droneId, 'the REST view names the drone that flew it')
  t.same(
    snap.history.map((e) => e.type),
    ['DeliveryCreated', 'DroneAssigned', 'PackagePickedUp', 'DeliveryCompleted'],
  )
})
