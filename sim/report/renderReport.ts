import { createHash } from 'node:crypto'
import { type Basemap, basemapOrigin } from '../../gateway/basemap.js'
import { CHART_READOUT_SCRIPT } from './chartReadoutScript.js'
import { ESTIMATORS } from './etaAccuracyTable.js'
import { type ReportRoute, renderReportMap } from './reportMap.js'
import type { RunResults } from './runResults.js'
import { formatFigure } from './summaryFigures.js'
import { histogram, lineChart } from './svgCharts.js'

export type { ReportRoute } from './reportMap.js'

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

export interface ReportOptions {
  /** Tiles under the map, from the operator's tile server (DRONEFLEET_BASEMAP_URL); null (the default): none. */
  basemap?: Basemap | null
}

/**
 * One self-contained HTML page: the summary, charts of deliveries over
 * time, delivery times, ETA error against time to arrival, fleet
 * utilization and battery levels (values on hover and from the keyboard),
 * the faults and their effects, and a map of the area, zones, depots, routes
 * and drop-offs with a legend and a scale bar. Its own Content-Security-
 * Policy lets it run only its inline script and style (by hash) and load
 * nothing, except the operator's map tiles when a basemap is given.
 */
export function renderReport(r: RunResults, routes: readonly ReportRoute[] = [], o: ReportOptions = {}): string {
  const t0 = r.scenario.start
  const clock = (min: number): string => new Date(t0 + min * 60_000).toISOString().slice(11, 16)
  const minOf = (ms: number): number => (ms - t0) / 60_000
  const endMin = r.scenario.durationS / 60
  // Deliveries over time: cumulative requested and completed, per minute.
  const perMin = (times: number[]): Array<[number, number]> => {
    const sorted = [...times].sort((a, b) => a - b)
    const out: Array<[number, number]> = []
    let k = 0
    for (let m = 0; m <= Math.ceil(endMin); m++) {
      while (k < sorted.length && minOf(sorted[k] as number) <= m) k++
      out.push([m, k])
    }
    return out
  }
  const done = r.deliveries.filter((d) => d.completedAt !== null)
  const overTime = lineChart(
    'Deliveries over time',
    [
      { name: 'requested', colour: '#f4a261', points: perMin(r.deliveries.map((d) => d.requestedAt)) },
      {
        name: 'assigned',
        colour: '#457b9d',
        points: perMin(r.deliveries.flatMap((d) => (d.assignedAt === null ? [] : [d.assignedAt]))),
        dashed: true,
      },
      { name: 'completed', colour: '#2a9d8f', points: perMin(done.map((d) => d.completedAt as number)) },
    ],
    { xLabel: 'simulated time (UTC)', yLabel: 'deliveries (cumulative)', xTick: clock, xReadout: (m) => `${clock(m)} UTC` },
  )
  const minutes = done.map((d) => ((d.completedAt as number) - d.requestedAt) / 60_000)
  const bins = new Array<number>(Math.max(1, Math.ceil(Math.max(0, ...minutes) / 2))).fill(0)
  for (const m of minutes) bins[Math.min(bins.length - 1, Math.floor(m / 2))]!++
  const times = histogram('Delivery time (request to completion)', minutes.length ? bins : [], 0, 2, {
    xLabel: 'minutes',
    yLabel: 'deliveries',
  })
  const eta = lineChart(
    'ETA error against time to arrival',
    [
      {
        name: 'mean |error|',
        colour: '#e63946',
        points: r.etaErrorByMinute.flatMap((b) => (b.meanAbsS === null ? [] : [[b.minutesBefore, b.meanAbsS] as [number, number]])),
      },
      {
        name: 'mean error (+ late prediction)',
        colour: '#457b9d',
        points: r.etaErrorByMinute.flatMap((b) => (b.meanS === null ? [] : [[b.minutesBefore, b.meanS] as [number, number]])),
        dashed: true,
      },
    ],
    { xLabel: 'minutes before arrival', yLabel: 'seconds', xReadout: (m) => `${m} min before arrival`, yUnit: ' s' },
  )
  const tl = r.timeline
  const util = lineChart(
    'Fleet utilization',
    [
      { name: 'on a mission', colour: '#457b9d', points: tl.map((s) => [minOf(s.t), s.busy]) },
      { name: 'idle', colour: '#2a9d8f', points: tl.map((s) => [minOf(s.t), s.idle]) },
      { name: 'charging', colour: '#f4a261', points: tl.map((s) => [minOf(s.t), s.charging]) },
      { name: 'failed', colour: '#e63946', points: tl.map((s) => [minOf(s.t), s.failed]) },
    ],
    { xLabel: 'simulated time (UTC)', yLabel: 'drones', xTick: clock, xReadout: (m) => `${clock(m)} UTC` },
  )
  const battery = lineChart(
    'Battery levels',
    [
      { name: 'mean', colour: '#2a9d8f', points: tl.map((s) => [minOf(s.t), s.batteryMean * 100]) },
      { name: '10th percentile', colour: '#f4a261', points: tl.map((s) => [minOf(s.t), s.batteryP10 * 100]) },
      { name: 'lowest', colour: '#e63946', points: tl.map((s) => [minOf(s.t), s.batteryMin * 100]), dashed: true },
    ],
    {
      xLabel: 'simulated time (UTC)',
      yLabel: 'state of charge, %',
      xTick: clock,
      xReadout: (m) => `${clock(m)} UTC`,
      yUnit: ' %',
      yMin: 0,
      yMax: 100,
    },
  )

  const rows = Object.entries(r.summary)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td${v === null ? ' class="nodata"' : ''}>${formatFigure(v)}</td></tr>`)
    .join('')
  const wall = `<tr><th>realTimeFactor</th><td>${r.wallClock.realTimeFactor}</td></tr><tr><th>samplesPerS</th><td>${r.wallClock.samplesPerS}</td></tr>`
  const expect = [...r.expectations, ...r.wallClock.expectations]
    .map((e) => `<li class="${e.ok ? 'ok' : 'bad'}">${esc(e.text)}</li>`)
    .join('')
  const faults = r.faults
    .map(
      (f) =>
        `<tr><td>${esc(f.type)}</td><td>${f.line}</td><td>${esc(clock(minOf(f.from)))}–${f.until === null ? 'end' : esc(clock(minOf(f.until)))}</td><td>${f.drones.length > 8 ? `${f.drones.length} drones` : esc(f.drones.join(', '))}</td><td><code>${esc(JSON.stringify(f.effect))}</code></td></tr>`,
    )
    .join('')
  const pct = (v: number | null): string => (v === null ? '<span class="nodata">no data</span>' : `${(v * 100).toFixed(1)} %`)
  const val = (v: number | null): string => (v === null ? '<span class="nodata">no data</span>' : String(v))
  const acc = r.etaAccuracy
  const accRows = acc.horizons
    .flatMap((h) =>
      ESTIMATORS.map(
        ([k, name], i) =>
          `<tr>${i === 0 ? `<th rowspan="${ESTIMATORS.length}">${h.minutesBefore} min before</th>` : ''}<td>${name}</td><td>${val(h[k].maeS)}</td><td>${val(h[k].p90S)}</td><td>${pct(h[k].coverage)}</td><td>${h[k].n}</td></tr>`,
      ),
    )
    .join('')
  const c = acc.coverage
  const accTable = `<h2>ETA accuracy</h2><table><tr><th>ETA</th><th>estimator</th><th>mean |error|, s</th><th>P90 |error|, s</th><th>arrivals in window</th><th>n</th></tr>${accRows}</table>
<p>The engine's P10–P90 window held ${pct(c.rate)} of the arrivals at 1, 5 and 10 min before them${c.low === null ? '' : ` (95 % Wilson interval ${pct(c.low)} to ${pct(c.high)})`}, n ${c.n}. Baselines, from the same tracking messages: straight lines at cruise speed, and the routes round the no-fly zones at cruise speed, both in still air with the profile's figures, and the fixed band −(8 % + 5 s) / +(15 % + 10 s) as their window.</p>`
  const wind = r.scenario.wind.speedMps > 0 ? ` · wind ${r.scenario.wind.speedMps} m/s from ${r.scenario.wind.fromDeg}°` : ''
  const basemap = o.basemap ?? null
  const csp =
    `default-src 'none'; script-src ${sha256(CHART_READOUT_SCRIPT)}; style-src ${sha256(CSS)};` +
    `${basemap ? ` img-src ${basemapOrigin(basemap)};` : ''} base-uri 'none'; form-action 'none'`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<title>dronefleet: ${esc(r.scenario.name)}</title>
<style>${CSS}</style></head><body>
<h1>${esc(r.scenario.name)}</h1><p>seed ${r.scenario.seed} · ${r.scenario.drones} drones · ${r.scenario.durationS / 60} simulated min${wind} · scenario sha256 ${esc(r.scenario.hash.slice(0, 12))}</p>
<h2>Summary</h2><table>${rows}${wall}</table>${accTable}<h2>Expectations</h2><ul>${expect || '<li>none</li>'}</ul>
<h2>Charts</h2><div class="grid">${overTime}${times}${eta}${util}${battery}</div>
${faults ? `<h2>Faults</h2><table><tr><th>type</th><th>line</th><th>when</th><th>drones</th><th>effect</th></tr>${faults}</table>` : ''}
<h2>Map</h2>${renderReportMap(r, routes, basemap)}
<script>${CHART_READOUT_SCRIPT}</script>
</body></html>
`
}

const CSS = `body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:1340px}table{border-collapse:collapse}th,td{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}
.ok{color:#1f7a6f}.bad{color:#c62832}.nodata{color:#767676;font-style:italic}svg.chart,svg.map{border:1px solid #ccc;background:#fff}svg.chart text{font-size:11px;fill:#555}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top;position:relative}
figcaption{font-weight:600;margin-bottom:.3em}.legend{margin:.2em 0;font-size:12px}.legend span{margin-right:1em;white-space:nowrap}.legend svg,.map-legend svg{vertical-align:middle}.grid{display:flex;flex-wrap:wrap}code{font-size:12px}
svg.chart:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}.cursor line{stroke:#333;stroke-dasharray:3 3}.cursor circle{stroke:#fff;stroke-width:1.5}
.readout{position:absolute;pointer-events:none;background:#fff;border:1px solid #888;border-radius:4px;padding:4px 8px;font-size:12px;line-height:1.5;box-shadow:0 1px 4px rgba(0,0,0,.2);white-space:nowrap;z-index:1}
.readout strong,.readout span{display:block}.readout i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}.readout b{font-variant-numeric:tabular-nums}
svg.map{background:#f4f6f8}.depot-name{font:600 12px system-ui,sans-serif;fill:#1d3557;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}.scale text{font:12px system-ui,sans-serif;fill:#222}
.attribution{font:10px system-ui,sans-serif;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:3px}.mapfig figcaption{font-weight:400;max-width:720px}.map-legend{list-style:none;padding:0;margin:.5em 0;display:flex;flex-wrap:wrap;gap:.3em 1.2em}
.map-legend li{display:flex;align-items:center;gap:.35em}.map-note{font-size:12px;color:#555;margin:.2em 0}`
