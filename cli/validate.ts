/**
 * `dronefleet validate <scenario.yaml>`: load a scenario and report, without
 * running anything. Each issue is one `file:line:column  field  message` line,
 * the shape editors and terminals turn into clickable locations.
 */
import { ErrorCodes } from '../protocol/errors.js'
import { loadScenario, ScenarioError } from '../sim/scenario/loadScenario.js'

export interface ValidateIo {
  /** Receives complete lines ending in "\n" (suits process.stdout.write). */
  stdout: (s: string) => void
  stderr: (s: string) => void
}

/** Exit code: 0 when the scenario is valid, 2 when it is invalid or unreadable. */
export async function validateCommand(file: string, io: ValidateIo): Promise<number> {
  try {
    const s = await loadScenario(file)
    const drones = s.depots.reduce((n, d) => n + d.drones, 0)
    const regions =
      s.regions.length > 0
        ? ` in ${s.regions.length} region${s.regions.length === 1 ? '' : 's'} (${s.regions.map((r) => r.id).join(', ')})`
        : ''
    const depots = `${s.depots.length} depot${s.depots.length === 1 ? '' : 's'}${regions}`
    io.stdout(`${file}: OK  "${s.name}": ${depots}, ${drones} drone${drones === 1 ? '' : 's'}, ${formatDuration(s.durationS)} simulated\n`)
    return 0
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err
    if (err.code === ErrorCodes.SCENARIO_UNREADABLE) io.stderr(`${err.message}\n`)
    for (const i of err.issues) io.stderr(`${file}:${i.line}:${i.column}  ${i.field}  ${i.message}\n`)
    return 2
  }
}

function formatDuration(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`
  return `${s} s`
}
