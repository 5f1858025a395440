import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The built CLI, as `npx dronefleet` runs it. */
export const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url))
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface Spawned {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
  /** Resolves with the first match of `re` in stdout. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => {
    out += String(d)
  })
  child.stderr!.on('data', (d) => {
    err += String(d)
  })
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(re, ms = 15_000) {
      return new Promise((resolve, reject) => {
        // Waits for the line, not against a clock (tap's timeout bounds a hang); a notice says what is awaited.
        const timer = setInterval(() => process.stderr.write(`# still waiting for ${re} in stdout; stderr: ${err.slice(-200)}\n`), ms)
        const check = (): void => {
          const m = out.match(re)
          if (m) {
            clearInterval(timer)
            child.stdout!.off('data', check)
            resolve(m)
          }
        }
        child.stdout!.on('data', check)
        void exit.then(() => {
          clearInterval(timer)
          reject(new Error(`exited before ${re}; stderr: ${err.slice(-500)}`))
        })
        check()
      })
    },
  }
}

/** Runs the CLI to the end. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = spawnCli(args, env)
  const code = await s.exit
  return { code, stdout: s.stdout(), stderr: s.stderr() }
}
