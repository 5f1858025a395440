import { join } from 'node:path'
import { formatDuration } from '../sim/report/formatDuration.js'
import type { RunResults } from '../sim/report/runResults.js'
import { etaAccuracyLines } from '../sim/report/etaAccuracyTable.js'
import { FIGURE_LABELS, formatFigureValue, type SummaryFigure } from '../sim/report/summaryFigures.js'

/**
 * The summary table `run` and `sim` print on stdout: each figure by a label a
 * person reads, its value with its unit, and the name `expect:` knows it by.
 * An interrupted run says so first: its figures cover only what was flown.
 */
export function formatSummary(r: RunResults, outDir: string): string {
  const w = r.wallClock
  const simulated = formatDuration(w.simulatedS)
  const rows = Object.entries(r.summary).map(([k, v]) => {
    const name = k as SummaryFigure
    return [FIGURE_LABELS[name].label, formatFigureValue(name, v), name] as const
  })
  const labelWidth = Math.max(...rows.map(([l]) => l.length), 'figure'.length) + 2
  const valueWidth = Math.max(...rows.map(([, v]) => v.length), 'value'.length) + 2
  return [
    '',
    ...(w.interrupted
      ? [
          `INTERRUPTED after ${simulated} of ${formatDuration(r.scenario.durationS)} simulated: partial results, covering only what was flown`,
        ]
      : []),
    `${r.scenario.name}: seed ${r.scenario.seed}, ${flown(r)}, ${simulated} simulated in ${formatDuration(w.wallMs / 1000)} (${w.realTimeFactor}× real time, ${w.samplesPerS.toLocaleString('en-US')} samples/s)`,
    '',
    `  ${'figure'.padEnd(labelWidth)}${'value'.padEnd(valueWidth)}name in expect:`,
    ...rows.map(([label, value, name]) => `  ${label.padEnd(labelWidth)}${value.padEnd(valueWidth)}${name}`),
    '',
    ...etaAccuracyLines(r.etaAccuracy).map((l) => `  ${l}`),
    ...(r.faults.length
      ? [
          '',
          ...r.faults.map(
            (f) => `  fault ${f.type} (line ${f.line}): ${f.drones.length} drone(s), ${JSON.stringify(f.effect).slice(0, 160)}`,
          ),
        ]
      : []),
    '',
    ...[...r.expectations, ...w.expectations].map((e) => `  ${e.ok ? 'ok  ' : 'FAIL'} ${e.text}`),
    '',
    `results: ${join(outDir, 'results.json')}`,
    `report:  ${join(outDir, 'report.html')}`,
    `routes:  ${join(outDir, 'routes.geojson')}`,
    '',
  ].join('\n')
}

/** The drones flown: the whole fleet, or (`sim --regions`) those of the regions flown. */
function flown(r: RunResults): string {
  const all = r.scenario.regions?.map((x) => x.id) ?? []
  const mine = r.scenario.flownRegions ?? all
  if (mine.length === all.length) return `${r.scenario.drones} drones${all.length > 0 ? ` in ${all.length} regions` : ''}`
  return `${r.drones.length} of ${r.scenario.drones} drones (regions ${mine.join(', ')})`
}
