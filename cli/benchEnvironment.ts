import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus, hostname, loadavg, totalmem, type as osType, release } from 'node:os'

/** Where a bench ran: enough to tell whether two reports can be compared. */
export interface BenchEnvironment {
  host: string
  os: string
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  /** The checked-out commit, with `-dirty` when the work tree differs; null outside a git checkout. */
  commit: string | null
  /** 1, 5 and 15 minute load averages when the run began: other work on the machine skews every figure. */
  loadAverage: number[]
  at: string
}

function commit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    return dirty ? `${head}-dirty` : head
  } catch {
    return null
  }
}

export function benchEnvironment(now: Date): BenchEnvironment {
  return {
    host: hostname(),
    os: `${osType()} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    commit: commit(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    at: now.toISOString(),
  }
}
