/**
 * Preloaded (`node --import …/threadTags.js`) into a process a bench watches:
 * each JavaScript thread (the main one, every worker whose options allow
 * preloads) appends `TID role` to the file $DRONEFLEET_THREAD_TAGS, role
 * being `main` or the worker's script. The bench can then tell, from
 * /proc/PID/task/TID/stat, the CPU time of the engine's thread from that of
 * the load generator's workers in the same process; threads never tagged
 * are V8's and libuv's helpers (GC, compilation, the thread pool).
 */
import { appendFileSync, readlinkSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

const file = process.env.DRONEFLEET_THREAD_TAGS
if (file) {
  try {
    // /proc/thread-self → `PID/task/TID`: the one place a thread learns its kernel id.
    const tid = readlinkSync('/proc/thread-self').split('/').at(-1)
    appendFileSync(file, `${tid} ${isMainThread ? 'main' : (process.argv[1] ?? 'worker')}\n`)
  } catch {
    // No /proc (not Linux): the bench reports that it cannot split CPU time by thread.
  }
}
