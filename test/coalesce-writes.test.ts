import { createServer, connect, type Socket } from 'node:net'
import t from 'tap'
import { coalesceWrites } from '../broker/coalesceWrites.js'

/** Writes n packets the way aedes delivers QoS 0 (one setImmediate each) and mqtt-packet writes (cork, uncork next tick); counts the flushes that reach the socket. */
async function flushesFor(n: number, coalesce: boolean): Promise<{ flushes: number; received: string }> {
  let serverSide!: Socket
  const server = createServer((s) => {
    serverSide = s
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  const client = connect(port, '127.0.0.1')
  let received = ''
  client.on('data', (d) => {
    received += String(d)
  })
  await new Promise((r) => client.once('connect', r))
  while (!serverSide) await new Promise((r) => setImmediate(r))
  if (coalesce) coalesceWrites(serverSide)
  let flushes = 0
  const s = serverSide as unknown as { _writev: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown }
  const writev = s._writev.bind(s)
  const write = s._write.bind(s)
  s._writev = (...a) => {
    flushes++
    return writev(...a)
  }
  s._write = (...a) => {
    flushes++
    return write(...a)
  }
  const expected = Array.from({ length: n }, (_, i) => `${i};`).join('')
  await new Promise<void>((resolve) => {
    let left = n
    for (let i = 0; i < n; i++) {
      setImmediate(() => {
        serverSide.cork()
        serverSide.write(`${i};`)
        process.nextTick(() => serverSide.uncork())
        if (--left === 0) resolve()
      })
    }
  })
  while (received.length < expected.length) await new Promise((r) => setTimeout(r, 5))
  client.destroy()
  serverSide.destroy()
  await new Promise((r) => server.close(r))
  return { flushes, received: received === expected ? 'all, in order' : received }
}

t.test('one flush per loop turn instead of one per packet', async (t) => {
  const plain = await flushesFor(1000, false)
  const held = await flushesFor(1000, true)
  t.equal(plain.received, 'all, in order')
  t.equal(held.received, 'all, in order', 'coalescing loses and reorders nothing')
  t.ok(plain.flushes >= 900, `without it, a flush per packet (${plain.flushes})`)
  t.ok(held.flushes <= 5, `with it, a flush per loop turn (${held.flushes})`)
})
