import { readdirSync, readFileSync } from 'node:fs'

/** Linux's USER_HZ: the unit of utime and stime in /proc (100 on every common build). */
const TICK_S = 0.01

/** CPU seconds (user + system) of one task's /proc stat line; the command name may hold spaces and parentheses. */
function cpuOf(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields after the name, from `state` (field 3): utime is field 14, stime field 15.
  return (Number(rest[11]) + Number(rest[12])) * TICK_S
}

/** CPU seconds of each thread of `pid` now, by TID; empty once the process is gone. */
export function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>()
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return out
  }
  for (const tid of tids) {
    try {
      out.set(Number(tid), cpuOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')))
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out
}

/** CPU seconds of the whole process `pid` (every thread, ended ones included), or undefined once it is gone. */
export function processCpu(pid: number): number | undefined {
  try {
    return cpuOf(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

/** Busy and total CPU seconds of the whole machine since boot, summed over cores (/proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
  const busy = user + nice + system + irq + softirq + steal
  return { busy: busy * TICK_S, total: (busy + idle + iowait) * TICK_S }
}

/**
 * Keeps the latest CPU seconds of every thread of a process, polling every
 * `everyMs`: a thread that ends (a worker terminated at the end of a run)
 * keeps the last figure read, so what it used is not lost with it.
 */
export class ThreadCpuWatch {
  private readonly last = new Map<number, number>()
  private readonly timer: NodeJS.Timeout

  constructor(
    readonly pid: number,
    everyMs = 200,
  ) {
    this.poll()
    this.timer = setInterval(() => this.poll(), everyMs)
  }

  /** Reads now and returns every thread's CPU seconds so far. */
  poll(): Map<number, number> {
    for (const [tid, s] of threadCpu(this.pid)) this.last.set(tid, s)
    return new Map(this.last)
  }

  stop(): Map<number, number> {
    clearInterval(this.timer)
    return this.poll()
  }
}
