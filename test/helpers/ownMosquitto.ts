import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { freePort } from './freePort.js'

/**
 * A Mosquitto of the test's own, on a free port of 127.0.0.1, that the test
 * may stop and start at will (never the shared one on 1883). Its sessions
 * persist in a temporary directory across a graceful stop (SIGTERM), as a
 * production broker's would; SIGKILL loses what was not saved.
 */
export interface OwnMosquitto {
  url: string
  port: number
  /** The configuration file, for tests that edit it (then restart). */
  conf: string
  dir: string
  start(): Promise<void>
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Rewrites the configuration's extra lines; takes effect at the next start. */
  configure(extra: string): void
}

export function mosquittoInstalled(): boolean {
  return spawnSync('mosquitto', ['-h']).error === undefined
}

/**
 * Whether a test may run its own Mosquitto: under CI a missing binary is an
 * error, elsewhere the test is skipped with a visible notice.
 */
export function requireMosquittoBinary(t: Test): boolean {
  if (mosquittoInstalled()) return true
  const why = 'the mosquitto binary is not installed'
  if (process.env.CI === 'true') {
    t.fail(`${why}; CI needs it (.ci/run installs it)`)
    return false
  }
  process.stderr.write(`\nNOTICE: ${why}; skipping "${t.name}". Install it with: apt-get install mosquitto\n`)
  t.comment(`NOTICE: ${why}; skipped`)
  t.skip(why, () => undefined)
  return false
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

export async function startOwnMosquitto(t: Test, extra = ''): Promise<OwnMosquitto> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'dronefleet-mosquitto-'))
  // Started as root, mosquitto drops to its own user, which must read the files here and save its sessions.
  chmodSync(dir, 0o777)
  const conf = join(dir, 'mosquitto.conf')
  const configure = (more: string): void => {
    writeFileSync(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'persistence true',
        `persistence_location ${dir}/`,
        'log_dest stderr',
        'log_type error',
        more.includes('allow_anonymous') ? '' : 'allow_anonymous true',
        more,
        '',
      ].join('\n'),
    )
  }
  configure(extra)
  let child: ChildProcess | null = null
  let stderr = ''
  const m: OwnMosquitto = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    conf,
    dir,
    configure,
    async start() {
      if (child) return
      stderr = ''
      const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
      c.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      child = c
      const exited = new Promise<never>((_, reject) => c.once('exit', (code) => reject(new Error(`mosquitto exited ${code}: ${stderr}`))))
      exited.catch(() => undefined)
      // Wait for the listener, by event of the process or its socket.
      for (;;) {
        const up = await Promise.race([accepting(port), exited])
        if (up) return
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const c = child
      if (!c) return
      child = null
      if (c.exitCode !== null || c.signalCode !== null) return
      const gone = new Promise((r) => c.once('exit', r))
      c.kill(signal)
      await gone
    },
  }
  t.teardown(async () => {
    await m.stop('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  await m.start()
  return m
}
