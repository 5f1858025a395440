import { Worker } from 'node:worker_threads'
import type { BarePipeCommand, BarePipeConfig, BarePipeMessage } from './barePipeWorker.js'

/**
 * The baseline: a plain subscriber, in a thread of its own, that only counts
 * the positions the broker delivers. The engine's throughput is judged
 * against it. Its counts are mirrored here on every report().
 */
export class BarePipe {
  total = 0
  /** Wall ms of the last arrival. */
  lastAt = 0
  private perSecond: number[] = []
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

  /** Seconds of the series are counted from `startAt` (wall ms), when the load starts. */
  begin(startAt: number): void {
    this.worker.postMessage({ type: 'start', startAt } satisfies BarePipeCommand)
  }

  /** Brings total, lastAt and the series up to date with the counter's thread. */
  report(): Promise<void> {
    return new Promise((resolve) => {
      this.worker.once('message', (m: BarePipeMessage) => {
        if (m.type === 'counts') {
          this.total = m.total
          this.lastAt = m.lastAt
          this.perSecond = m.perSecond
        }
        resolve()
      })
      this.worker.postMessage({ type: 'report' } satisfies BarePipeCommand)
    })
  }

  series(): number[] {
    return [...this.perSecond]
  }

  async stop(): Promise<void> {
    await this.worker.terminate()
  }
}
