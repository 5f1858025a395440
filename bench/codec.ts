/**
 * Binary batch codec: positions/s encoded into and decoded (checked, every
 * field read in place) from 1,000-record frames, one thread.
 *   node dist/bench/codec.js
 */
import { BatchWriter, decodeBatch } from '../protocol/batchCodec.js'

const RECORDS = 1000
const FRAMES = 2000
const w = new BatchWriter(RECORDS)
let frame: Buffer<ArrayBufferLike> = Buffer.alloc(0)

let start = performance.now()
for (let f = 0; f < FRAMES; f++) {
  w.reset()
  for (let i = 0; i < RECORDS; i++) w.push(i + 1, f, 1.7637e12 + f * 1000, 47.6 + i * 1e-5, -122.3, 60, 15, 90, 0.8, 3)
  frame = w.finish()
}
const encodeS = (performance.now() - start) / 1000

start = performance.now()
let sink = 0
for (let f = 0; f < FRAMES; f++) {
  const r = decodeBatch(frame)
  for (let i = 0; i < r.count; i++)
    sink += r.lat(i) + r.lon(i) + r.ts(i) + r.battery(i) + r.drone(i) + r.seq(i) + r.alt(i) + r.speed(i) + r.heading(i)
}
const decodeS = (performance.now() - start) / 1000
if (!Number.isFinite(sink)) throw new Error('decoded nonsense')

const n = RECORDS * FRAMES
console.log(
  `codec encode: ${Math.round(n / encodeS).toLocaleString('en')} positions/s (${RECORDS}-record frames, ${frame.byteLength} bytes)`,
)
console.log(`codec decode: ${Math.round(n / decodeS).toLocaleString('en')} positions/s (frame checked whole, every field read)`)
