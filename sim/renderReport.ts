import type { LatLon } from '../protocol/geo.js'
import type { RunResults } from './runResults.js'
import { formatFigure } from './summaryFigures.js'
import { histogram, lineChart } from './svgCharts.js'

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

const COLOURS: Record<string, string> = { Completed: '#2a9d8f', Failed: '#e63946', Cancelled: '#999', Created: '#f4a261', HeadedToPickup: '#457b9d', HeadedToDropoff: '#457b9d' }

/** Routes drawn on the map at most: beyond this the map is ink, not information. */
const MAX_ROUTES = 1500

export interface ReportRoute {
  route: LatLon[]
  status: string | null
}

/**
 * One self-contained HTML page (no scripts, no CDN, no tiles): the summary,
 * charts of deliveries over time, delivery times, ETA error against time to
 * arrival, fleet utilization and battery levels, the faults and their
 * effects, and a vector map of the area, zones, depots, routes and drop-offs.
 */
export function renderReport(r: RunResults, routes: readonly ReportRoute[] = []): string {
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
  const overTime = lineChart('Deliveries over time', [
    { name: 'requested', colour: '#f4a261', points: perMin(r.deliveries.map((d) => d.requestedAt)) },
    { name: 'assigned', colour: '#457b9d', points: perMin(r.deliveries.flatMap((d) => (d.assignedAt === null ? [] : [d.assignedAt]))), dashed: true },
    { name: 'completed', colour: '#2a9d8f', points: perMin(done.map((d) => d.completedAt as number)) },
  ], { xLabel: 'simulated time (UTC)', yLabel: 'deliveries (cumulative)', xTick: clock })
  const minutes = done.map((d) => ((d.completedAt as number) - d.requestedAt) / 60_000)
  const bins = new Array<number>(Math.max(1, Math.ceil(Math.max(0, ...minutes) / 2))).fill(0)
  for (const m of minutes) bins[Math.min(bins.length - 1, Math.floor(m / 2))]!++
  const times = histogram('Delivery time (request to completion)', minutes.length ? bins : [], 0, 2, { xLabel: 'minutes', yLabel: 'deliveries' })
  const eta = lineChart('ETA error against time to arrival', [
    { name: 'mean |error|', colour: '#e63946', points: r.etaErrorByMinute.flatMap((b) => (b.meanAbsS === null ? [] : [[b.minutesBefore, b.meanAbsS] as [number, number]])) },
    { name: 'mean error (+ late prediction)', colour: '#457b9d', points: r.etaErrorByMinute.flatMap((b) => (b.meanS === null ? [] : [[b.minutesBefore, b.meanS] as [number, number]])), dashed: true },
  ], { xLabel: 'minutes before arrival', yLabel: 'seconds' })
  const tl = r.timeline
  const util = lineChart('Fleet utilization', [
    { name: 'on a mission', colour: '#457b9d', points: tl.map((s) => [minOf(s.t), s.busy]) },
    { name: 'idle', colour: '#2a9d8f', points: tl.map((s) => [minOf(s.t), s.idle]) },
    { name: 'charging', colour: '#f4a261', points: tl.map((s) => [minOf(s.t), s.charging]) },
    { name: 'failed', colour: '#e63946', points: tl.map((s) => [minOf(s.t), s.failed]) },
  ], { xLabel: 'simulated time (UTC)', yLabel: 'drones', xTick: clock })
  const battery = lineChart('Battery levels', [
    { name: 'mean', colour: '#2a9d8f', points: tl.map((s) => [minOf(s.t), s.batteryMean * 100]) },
    { name: '10th percentile', colour: '#f4a261', points: tl.map((s) => [minOf(s.t), s.batteryP10 * 100]) },
    { name: 'lowest', colour: '#e63946', points: tl.map((s) => [minOf(s.t), s.batteryMin * 100]), dashed: true },
  ], { xLabel: 'simulated time (UTC)', yLabel: 'state of charge, %', xTick: clock, yMin: 0, yMax: 100 })

  const rows = Object.entries(r.summary).map(([k, v]) => `<tr><th>${esc(k)}</th><td${v === null ? ' class="nodata"' : ''}>${formatFigure(v)}</td></tr>`).join('')
  const wall = `<tr><th>realTimeFactor</th><td>${r.wallClock.realTimeFactor}</td></tr><tr><th>samplesPerS</th><td>${r.wallClock.samplesPerS}</td></tr>`
  const expect = [...r.expectations, ...r.wallClock.expectations].map((e) => `<li class="${e.ok ? 'ok' : 'bad'}">${esc(e.text)}</li>`).join('')
  const faults = r.faults.map((f) => `<tr><td>${esc(f.type)}</td><td>${f.line}</td><td>${esc(clock(minOf(f.from)))}–${f.until === null ? 'end' : esc(clock(minOf(f.until)))}</td><td>${f.drones.length > 8 ? `${f.drones.length} drones` : esc(f.drones.join(', '))}</td><td><code>${esc(JSON.stringify(f.effect))}</code></td></tr>`).join('')
  const wind = r.scenario.wind.speedMps > 0 ? ` · wind ${r.scenario.wind.speedMps} m/s from ${r.scenario.wind.fromDeg}°` : ''
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dronefleet: ${esc(r.scenario.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:1340px}table{border-collapse:collapse}th,td{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}
.ok{color:#2a9d8f}.bad{color:#e63946}.nodata{color:#999;font-style:italic}svg{border:1px solid #ccc;background:#fff}svg.chart text{font-size:11px;fill:#555}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
figcaption{font-weight:600;margin-bottom:.3em}.legend{margin:.2em 0;font-size:12px}.legend span{margin-right:1em}.grid{display:flex;flex-wrap:wrap}code{font-size:12px}.map{background:#f8f9fa}</style></head><body>
<h1>${esc(r.scenario.name)}</h1><p>seed ${r.scenario.seed} · ${r.scenario.drones} drones · ${r.scenario.durationS / 60} simulated min${wind} · scenario sha256 ${esc(r.scenario.hash.slice(0, 12))}</p>
<h2>Summary</h2><table>${rows}${wall}</table><h2>Expectations</h2><ul>${expect || '<li>none</li>'}</ul>
<h2>Charts</h2><div class="grid">${overTime}${times}${eta}${util}${battery}</div>
${faults ? `<h2>Faults</h2><table><tr><th>type</th><th>line</th><th>when</th><th>drones</th><th>effect</th></tr>${faults}</table>` : ''}
<h2>Map</h2>${renderMap(r, routes)}
</body></html>
`
}

function renderMap(r: RunResults, routes: readonly ReportRoute[]): string {
  const area = r.area
  const zones = r.scenario.zones
  const pts: LatLon[] = [...r.depots.map((d) => d.position), ...r.deliveries.map((d) => d.dropoff), ...area.polygon, ...zones.flatMap((z) => z.polygon)]
  if (area.polygon.length === 0) {
    const dLat = area.radiusM / 111_195
    const dLon = dLat / Math.cos((area.center.lat * Math.PI) / 180)
    pts.push({ lat: area.center.lat - dLat, lon: area.center.lon - dLon }, { lat: area.center.lat + dLat, lon: area.center.lon + dLon })
  }
  const lats = pts.map((p) => p.lat)
  const lons = pts.map((p) => p.lon)
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)]
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180)
  const span = Math.max((maxLon - minLon) * k, maxLat - minLat, 1e-6)
  const W = 720
  const x = (lon: number): number => 20 + (((lon - minLon) * k) / span) * (W - 40)
  const y = (lat: number): number => W - 20 - ((lat - minLat) / span) * (W - 40)
  const xy = (p: LatLon): string => `${x(p.lon).toFixed(1)},${y(p.lat).toFixed(1)}`
  const areaSvg = area.polygon.length
    ? `<polygon points="${area.polygon.map(xy).join(' ')}" fill="#e9f1f7" stroke="#9bb"/>`
    : `<circle cx="${x(area.center.lon).toFixed(1)}" cy="${y(area.center.lat).toFixed(1)}" r="${((area.radiusM / 111_195 / span) * (W - 40)).toFixed(1)}" fill="#e9f1f7" stroke="#9bb"/>`
  const zoneSvg = zones
    .map((z) => `<polygon points="${z.polygon.map(xy).join(' ')}" fill="${z.noFly ? '#e63946' : '#f4a261'}" fill-opacity="0.18" stroke="${z.noFly ? '#e63946' : '#f4a261'}"${z.noFly ? '' : ' stroke-dasharray="4 3"'}><title>${z.noFly ? 'no-fly' : 'watched'} zone ${esc(z.name ?? z.id)}</title></polygon>`)
    .join('')
  const routeSvg = routes.slice(0, MAX_ROUTES)
    .map((rt) => `<polyline points="${rt.route.map(xy).join(' ')}" fill="none" stroke="${COLOURS[rt.status ?? ''] ?? '#333'}" stroke-opacity="0.35" stroke-width="1"/>`).join('')
  const drops = r.deliveries
    .map((d) => `<circle cx="${x(d.dropoff.lon).toFixed(1)}" cy="${y(d.dropoff.lat).toFixed(1)}" r="3" fill="${COLOURS[d.status] ?? '#333'}"><title>request ${d.request}: ${d.status}</title></circle>`)
    .join('')
  const depots = r.depots
    .map((d) => `<rect x="${(x(d.position.lon) - 7).toFixed(1)}" y="${(y(d.position.lat) - 7).toFixed(1)}" width="14" height="14" fill="#1d3557"><title>depot ${esc(d.id)}: ${d.drones} drones</title></rect>`)
    .join('')
  const note = routes.length > MAX_ROUTES ? ` (first ${MAX_ROUTES} of ${routes.length} routes drawn; all are in routes.geojson)` : ''
  return `<svg class="map" width="${W}" height="${W}" viewBox="0 0 ${W} ${W}" role="img" aria-label="area, zones, depots, routes and drop-offs">${areaSvg}${zoneSvg}${routeSvg}${drops}${depots}</svg>
<p>■ depot · lines: routes flown${note}${zones.length ? ` · <span style="color:#e63946">▨ no-fly zone</span>` : ''} · <span style="color:${COLOURS.Completed}">● completed</span> · <span style="color:${COLOURS.Failed}">● failed</span> · <span style="color:${COLOURS.Created}">● waiting</span> · <span style="color:${COLOURS.HeadedToPickup}">● in flight</span></p>`
}
