import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_S = 100

/**
 * CPU time the calling thread has used (user + system), ms, from
 * /proc/thread-self/stat; undefined where there is none (not Linux). Unlike
 * event-loop utilisation it does not count time spent waiting for a core,
 * so on a machine with more busy threads than cores it still says what a
 * thread costs. Resolution: 10 ms.
 */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8')
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S
  } catch {
    return undefined
  }
}
