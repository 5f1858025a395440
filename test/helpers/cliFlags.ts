import { runCli } from './cli.js'

export interface CliFlag {
  /** `--http-port <n>` takes a value; `--show-secrets` does not. */
  takesValue: boolean
  /** What `--help` says the default is, quotes removed, when it says one. */
  default?: string
  /** The environment variable `--help` says may give it instead, when it names one. */
  env?: string
}

/**
 * The flags of a `dronefleet` command, read from its `--help` as a user
 * would read them (the built CLI, not its source), so a manifest that names
 * a flag the CLI does not have is caught.
 */
export async function cliFlags(command: string): Promise<Map<string, CliFlag>> {
  const { code, stdout, stderr } = await runCli([command, '--help'])
  if (code !== 0) throw new Error(`dronefleet ${command} --help exited ${code}: ${stderr}`)
  const flags = new Map<string, CliFlag & { text: string }>()
  let last: (CliFlag & { text: string }) | undefined
  for (const line of stdout.split('\n')) {
    const m = line.match(/^ {2}(?:-\w, )?(--[a-z0-9-]+)( <[^>]+>| \[[^\]]+\])?(?: {2,}(.*))?$/)
    if (m) {
      last = { takesValue: m[2] !== undefined, text: m[3] ?? '' }
      flags.set(m[1]!, last)
    } else if (last && /^ {4,}\S/.test(line)) {
      last.text += ` ${line.trim()}` // a description wrapped onto the next line
    } else {
      last = undefined
    }
  }
  for (const f of flags.values()) {
    const d = f.text.match(/\(default: (?:"([^"]*)"|([^,)]*))/)
    if (d) f.default = d[1] ?? d[2]
    const e = f.text.match(/[(,] ?env: ([A-Z][A-Z0-9_]*)\)/)
    if (e) f.env = e[1]
  }
  return new Map(
    [...flags].map(([name, { takesValue, default: d, env }]) => [
      name,
      { takesValue, ...(d === undefined ? {} : { default: d }), ...(env === undefined ? {} : { env }) },
    ]),
  )
}

export interface Invocation {
  command: string
  positional: string[]
  /** Each flag given, with its value ('' for a switch). */
  flags: Map<string, string>
  /** Flags the command does not have. */
  unknown: string[]
}

/** Reads a `dronefleet` argument list (what follows `node dist/cli/main.js`) against the command's flags. */
export function readInvocation(args: readonly string[], known: Map<string, CliFlag>): Invocation {
  const [command = '', ...rest] = args
  const out: Invocation = { command, positional: [], flags: new Map(), unknown: [] }
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (!arg.startsWith('--')) {
      out.positional.push(arg)
      continue
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const flag = known.get(name)
    if (!flag) out.unknown.push(name)
    // An unknown flag is taken to have a value when the next argument is not a flag, so the rest still reads right.
    const takesValue = flag ? flag.takesValue : rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('--')
    out.flags.set(name, inline ?? (takesValue ? (rest[++i] ?? '') : ''))
  }
  return out
}
