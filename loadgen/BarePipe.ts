import { Worker } from 'node:worker_threads'
import type { BarePipeCommand, BarePipeConfig, BarePipeCounts, BarePipeMessage } from './barePipeWorker.js'
import type { LatencySummary } from './LatencyStats.js'

const EMPTY: LatencySummary = { count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, 'p99.9': 0, max: 0 }

/**
 * The baseline: a plain subscriber, in a thread of its own, that only reads
 * each position's drone, seq and time. The engine is judged against it, and
 * it is judged too: its own loss and latency come with its counts, mirrored
 * here on every report().
 */
export class BarePipe {
  counts: BarePipeCounts = {
    measured: 0,
    unique: 0,
    duplicates: 0,
    reordered: 0,
    lastAt: 0,
    perSecond: [],
    maxPerSecond: [],
    latency: EMPTY,
  }
  private asking: Promise<BarePipeCounts> | null = null
  private constructor(private readonly worker: Worker) {}

  /** Connects the counter to the broker and subscribes it to every telemetry topic. */
  static async start(config: BarePipeConfig): Promise<BarePipe> {
    const worker = new Worker(new URL('./barePipeWorker.js', import.meta.url), { workerData: config })
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: BarePipeMessage): void => {
        worker.off('message', onMessage)
        if (m.type === 'ready') resolve()
        else reject(new Error(`the bare-pipe subscriber failed: ${m.type === 'error' ? m.message : m.type}`))
      }
      worker.on('message', onMessage)
      worker.once('error', reject)
    })
    return new BarePipe(worker)
  }

  /** Positions intended from `startAt` (wall ms) on are measured; seconds of the series count from it. */
  begin(startAt: number): void {
    this.worker.postMessage({ type: 'start', startAt } satisfies BarePipeCommand)
  }

  /** Brings the counts up to date with the counter's thread (one question at a time: answers are not labelled). */
  report(): Promise<BarePipeCounts> {
    this.asking ??= new Promise<BarePipeCounts>((resolve) => {
      this.worker.once('message', (m: BarePipeMessage) => {
        if (m.type === 'counts') {
          const { type: _type, ...counts } = m
          this.counts = counts
        }
        resolve(this.counts)
      })
      this.worker.postMessage({ type: 'report' } satisfies BarePipeCommand)
    }).finally(() => {
      this.asking = null
    })
    return this.asking
  }

  async stop(): Promise<void> {
    await this.worker.terminate()
  }
}
