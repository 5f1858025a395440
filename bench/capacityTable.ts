/**
 * The README's performance table, from the reports of repeated `bench
 * --find-max` runs: each cell the median capacity of a path and the range
 * over the runs, with the machine they ran on. Only figures these reports
 * hold appear in it.
 */
import type { BenchEnvironment } from '../cli/benchEnvironment.js'
import type { FindMaxResult } from '../cli/findMax.js'

export interface CapacityReport {
  environment: BenchEnvironment
  settings: { format: string; load: string; p99Bound: number }
  searches: Array<{ broker: string; search: FindMaxResult }>
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/**
 * `12,000/s (10,000–20,000, 3 runs)` over the runs that sustained a step;
 * `≥` when some run never reached the path's limit; runs that sustained no
 * step are counted apart, never as a capacity of 0.
 */
function cell(caps: Array<{ capacity: number | null; limitReached: boolean }>): string {
  const xs = caps.map((c) => c.capacity).filter((x): x is number => x !== null)
  const none = caps.length - xs.length
  const noneText = none ? `${none} of ${caps.length} runs sustained no step` : ''
  if (xs.length === 0) return `none (${noneText})`
  const open = caps.some((c) => c.capacity !== null && !c.limitReached) ? '≥ ' : ''
  const f = (n: number): string => n.toLocaleString('en')
  return `${open}${f(median(xs))}/s (${f(Math.min(...xs))}–${f(Math.max(...xs))} over ${xs.length} runs${none ? `; ${noneText}` : ''})`
}

/**
 * The engine thread's CPU time per position (and its decoder thread's),
 * median over the runs, each at its highest step: what the engine costs,
 * whatever the machine's other threads did to the capacity.
 */
function cpuCell(searches: FindMaxResult[]): string {
  const last = searches.map((x) => x.steps.at(-1)?.result.engineLoop).filter((l) => l != null)
  const loop = last.map((l) => l.cpuUsPerPosition).filter((x): x is number => x !== null)
  if (loop.length === 0) return 'unknown'
  const decoder = last.map((l) => l.decoder?.cpuUsPerPosition).filter((x): x is number => x != null)
  const us = (xs: number[]): string => `${median(xs).toFixed(1)} µs (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`
  return `${us(loop)}${decoder.length ? ` + decoder thread ${us(decoder)}` : ''}`
}

/** One row per (case, broker): engine capacity, bare capacity, ratio range, the engine's CPU per position. */
export function capacityTable(cases: Array<{ name: string; reports: CapacityReport[] }>): string {
  const rows = [
    '| case | broker | p99 bound | engine capacity | bare-pipe capacity | ratio | engine CPU per position |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const c of cases) {
    const brokers = [...new Set(c.reports.flatMap((r) => r.searches.map((s) => s.broker)))]
    for (const broker of brokers) {
      const s = c.reports.flatMap((r) => r.searches.filter((x) => x.broker === broker).map((x) => x.search))
      if (s.length === 0) continue
      const ratios = s.map((x) => x.ratio).filter((x): x is number => x !== null)
      const ratio = ratios.length
        ? `${median(ratios)} (${Math.min(...ratios)}–${Math.max(...ratios)}, ${ratios.length} of ${s.length} runs)`
        : 'none'
      rows.push(
        `| ${c.name} | ${broker} | ${s[0]!.bound} ms | ${cell(s.map((x) => x.engine))} | ${cell(s.map((x) => x.bare))} | ${ratio} | ${cpuCell(s)} |`,
      )
    }
  }
  const env = cases[0]?.reports[0]?.environment
  const loads = cases.flatMap((c) => c.reports.map((r) => r.environment.loadAverage[0] as number))
  const machine = env
    ? `Machine: ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, ${env.os}, Node ${env.node}, commit ${env.commit ?? 'unknown'}; 1-minute load average when each run began: ${Math.min(...loads)}–${Math.max(...loads)}.`
    : 'No runs.'
  return `${rows.join('\n')}\n\n${machine}\n`
}
