import type { RunResults } from './runResults.js'

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

const COLOURS: Record<string, string> = { Completed: '#2a9d8f', Failed: '#e63946', Cancelled: '#999', Created: '#f4a261', HeadedToPickup: '#457b9d', HeadedToDropoff: '#457b9d' }

/**
 * One self-contained HTML page (no scripts from elsewhere, no tiles): the
 * summary table and a vector map of depots and drop-offs coloured by outcome.
 */
export function renderReport(r: RunResults): string {
  const pts = [...r.depots.map((d) => d.position), ...r.deliveries.map((d) => d.dropoff)]
  const lats = pts.map((p) => p.lat)
  const lons = pts.map((p) => p.lon)
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)]
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180)
  const span = Math.max((maxLon - minLon) * k, maxLat - minLat, 1e-6)
  const W = 640
  const x = (lon: number): number => 20 + (((lon - minLon) * k) / span) * (W - 40)
  const y = (lat: number): number => W - 20 - ((lat - minLat) / span) * (W - 40)
  const drops = r.deliveries
    .map((d) => `<circle cx="${x(d.dropoff.lon).toFixed(1)}" cy="${y(d.dropoff.lat).toFixed(1)}" r="4" fill="${COLOURS[d.status] ?? '#333'}"><title>${esc(d.id)} ${d.status}</title></circle>`)
    .join('')
  const depots = r.depots
    .map((d) => `<rect x="${(x(d.position.lon) - 7).toFixed(1)}" y="${(y(d.position.lat) - 7).toFixed(1)}" width="14" height="14" fill="#1d3557"><title>depot ${esc(d.id)}: ${d.drones} drones</title></rect>`)
    .join('')
  const rows = Object.entries(r.summary).map(([k2, v]) => `<tr><th>${esc(k2)}</th><td>${v}</td></tr>`).join('')
  const expect = r.expectations.map((e) => `<li class="${e.ok ? 'ok' : 'bad'}">${esc(e.text)}</li>`).join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dronefleet: ${esc(r.scenario.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}th,td{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd}
.ok{color:#2a9d8f}.bad{color:#e63946}svg{border:1px solid #ccc;background:#f8f9fa}</style></head><body>
<h1>${esc(r.scenario.name)}</h1><p>seed ${r.scenario.seed} · scenario sha256 ${esc(r.scenario.hash.slice(0, 12))}</p>
<h2>Summary</h2><table>${rows}</table><h2>Expectations</h2><ul>${expect || '<li>none</li>'}</ul>
<h2>Map</h2><svg width="${W}" height="${W}" viewBox="0 0 ${W} ${W}" role="img" aria-label="depots and drop-offs">${depots}${drops}</svg>
<p>■ depot · <span style="color:${COLOURS.Completed}">● completed</span> · <span style="color:${COLOURS.Failed}">● failed</span> · <span style="color:${COLOURS.Created}">● waiting</span> · <span style="color:${COLOURS.HeadedToPickup}">● in flight</span></p>
</body></html>
`
}
