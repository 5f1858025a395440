import { type Basemap, basemapOrigin } from '../../gateway/basemap.js'
import { type LatLon, unwrapLon } from '../../protocol/geo.js'
import { basemapTiles, mercatorX, mercatorY } from '../../protocol/webMercator.js'
import type { RunResults } from './runResults.js'

/** One mission's route on the map, coloured by how its delivery ended. */
export interface ReportRoute {
  route: LatLon[]
  status: string | null
}

/** A delivery's colour on the map by status, and what the legend calls it. */
export const STATUS_KEY: ReadonlyArray<{ statuses: readonly string[]; colour: string; label: string }> = [
  { statuses: ['Completed'], colour: '#2a9d8f', label: 'completed' },
  { statuses: ['Failed'], colour: '#e63946', label: 'failed' },
  { statuses: ['Cancelled'], colour: '#8a8a8a', label: 'cancelled' },
  { statuses: ['Created'], colour: '#f4a261', label: 'waiting for a drone at the end' },
  { statuses: ['HeadedToPickup', 'HeadedToDropoff'], colour: '#457b9d', label: 'in flight at the end' },
]
const colourOf = (status: string | null): string => STATUS_KEY.find((k) => k.statuses.includes(status ?? ''))?.colour ?? '#333'

/** Routes drawn on the map at most: beyond this the map is ink, not information. */
const MAX_ROUTES = 1500
const W = 720
const PAD = 28
const EARTH_CIRCUMFERENCE_M = 40_075_016.686
const DEPOT = '#1d3557'
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** The longest round distance (1, 2 or 5 × 10^k m) no wider than `maxPx` at `metresPerPx`. */
export function scaleBarMetres(metresPerPx: number, maxPx: number): number {
  const most = metresPerPx * maxPx
  const mag = 10 ** Math.floor(Math.log10(most))
  return ([5, 2, 1].find((m) => m * mag <= most) ?? 1) * mag
}
const distanceText = (m: number): string => (m >= 1000 ? `${m / 1000} km` : `${m} m`)

/** A legend entry's swatch: a small inline SVG drawn with presentation attributes (the report's CSP allows no style attributes). */
const swatch = (shape: string): string => `<svg width="26" height="16" viewBox="0 0 26 16" aria-hidden="true">${shape}</svg>`

/**
 * The report's map: the demand area, zones, routes flown, drop-offs and
 * depots (named), in Web Mercator so that the operator's basemap tiles, when
 * one is configured, line up underneath (the same tile arithmetic as the
 * gateway's pages); a scale bar, and a legend of every colour and mark used.
 */
export function renderReportMap(r: RunResults, routes: readonly ReportRoute[], basemap: Basemap | null = null): string {
  const area = r.area
  const zones = r.scenario.zones
  const pts: LatLon[] = [
    ...r.depots.map((d) => d.position),
    ...r.deliveries.map((d) => d.dropoff),
    ...area.polygon,
    ...zones.flatMap((z) => z.polygon),
  ]
  if (area.polygon.length === 0) {
    const dLat = area.radiusM / 111_195
    const dLon = dLat / Math.cos((area.center.lat * Math.PI) / 180)
    pts.push({ lat: area.center.lat - dLat, lon: area.center.lon - dLon }, { lat: area.center.lat + dLat, lon: area.center.lon + dLon })
  }
  // Longitudes unwrapped around the area's centre: a map across ±180° is drawn in one piece.
  const wx = (lon: number): number => mercatorX(unwrapLon(lon, area.center.lon))
  const xs = pts.map((p) => wx(p.lon))
  const ys = pts.map((p) => mercatorY(p.lat))
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]
  const s = Math.min(256 * 2 ** 19, (W - 2 * PAD) / Math.max(x1 - x0, 1e-12), (W - 2 * PAD) / Math.max(y1 - y0, 1e-12))
  const view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, s, W, H: W }
  const x = (lon: number): number => W / 2 + (wx(lon) - view.cx) * s
  const y = (lat: number): number => W / 2 + (mercatorY(lat) - view.cy) * s
  const xy = (p: LatLon): string => `${x(p.lon).toFixed(1)},${y(p.lat).toFixed(1)}`
  // Metres per pixel where the area is (Web Mercator stretches with latitude; over a city, one figure holds).
  const metresPerPx = (EARTH_CIRCUMFERENCE_M * Math.cos((area.center.lat * Math.PI) / 180)) / s

  const tiles = basemap
    ? `<g class="tiles">${basemapTiles(view, basemap.tiles)
        .map(
          (t) =>
            `<image href="${esc(t.href)}" x="${t.x.toFixed(1)}" y="${t.y.toFixed(1)}" width="${(t.size + 0.5).toFixed(1)}" height="${(t.size + 0.5).toFixed(1)}" preserveAspectRatio="none" data-tile="${t.key}"/>`,
        )
        .join('')}</g>`
    : ''
  const areaFill = `fill="#cfe0ee" fill-opacity="${basemap ? 0.25 : 0.6}" stroke="#7a9cb8"`
  const areaSvg = area.polygon.length
    ? `<polygon points="${area.polygon.map(xy).join(' ')}" ${areaFill}><title>demand area</title></polygon>`
    : `<circle cx="${x(area.center.lon).toFixed(1)}" cy="${y(area.center.lat).toFixed(1)}" r="${(area.radiusM / metresPerPx).toFixed(1)}" ${areaFill}><title>demand area</title></circle>`
  const zoneSvg = zones
    .map(
      (z) =>
        `<polygon points="${z.polygon.map(xy).join(' ')}" fill="${z.noFly ? '#e63946' : '#f4a261'}" fill-opacity="0.18" stroke="${z.noFly ? '#e63946' : '#f4a261'}"${z.noFly ? '' : ' stroke-dasharray="4 3"'}><title>${z.noFly ? 'no-fly' : 'watched'} zone ${esc(z.name ?? z.id)}</title></polygon>`,
    )
    .join('')
  const drawn = routes.slice(0, MAX_ROUTES)
  const routeSvg = drawn
    .map(
      (rt) =>
        `<polyline points="${rt.route.map(xy).join(' ')}" fill="none" stroke="${colourOf(rt.status)}" stroke-opacity="0.35" stroke-width="1"/>`,
    )
    .join('')
  const drops = r.deliveries
    .map(
      (d) =>
        `<circle cx="${x(d.dropoff.lon).toFixed(1)}" cy="${y(d.dropoff.lat).toFixed(1)}" r="3" fill="${colourOf(d.status)}"><title>request ${d.request}: ${d.status}</title></circle>`,
    )
    .join('')
  const depots = r.depots
    .map((d) => {
      const [dx, dy] = [x(d.position.lon), y(d.position.lat)]
      return (
        `<g class="depot" data-depot="${esc(d.id)}"><rect x="${(dx - 7).toFixed(1)}" y="${(dy - 7).toFixed(1)}" width="14" height="14" fill="${DEPOT}" stroke="#fff" stroke-width="1.5"><title>depot ${esc(d.id)}: ${d.drones} drones</title></rect>` +
        `<text class="depot-name" x="${(dx + 11).toFixed(1)}" y="${(dy + 4).toFixed(1)}">${esc(d.id)}</text></g>`
      )
    })
    .join('')

  const barM = scaleBarMetres(metresPerPx, 160)
  const barPx = barM / metresPerPx
  const scale = `<g class="scale" data-metres="${barM}" data-px="${barPx.toFixed(2)}" transform="translate(14 ${W - 16})"><rect x="-6" y="-22" width="${(barPx + 12).toFixed(1)}" height="30" fill="#fff" fill-opacity="0.85" rx="3"/><path d="M0,-6 V0 H${barPx.toFixed(1)} V-6" fill="none" stroke="#222" stroke-width="2"/><text x="0" y="-10">${distanceText(barM)}</text></g>`
  const attribution =
    basemap?.attribution && basemap.attribution !== ''
      ? `<text class="attribution" x="${W - 6}" y="${W - 6}" text-anchor="end">${esc(basemap.attribution)}</text>`
      : ''
  const note = routes.length > MAX_ROUTES ? ` The first ${MAX_ROUTES} of ${routes.length} routes are drawn; all are in routes.geojson.` : ''

  // The legend names only what the map shows.
  const present = new Set([...r.deliveries.map((d) => d.status), ...drawn.map((rt) => rt.status ?? '')])
  const used = STATUS_KEY.filter((k) => k.statuses.some((st) => present.has(st)))
  const legend = [
    `<li>${swatch(`<rect x="6" y="1" width="14" height="14" fill="${DEPOT}"/>`)}depot, named</li>`,
    `<li>${swatch('<rect x="1" y="2" width="24" height="12" fill="#cfe0ee" stroke="#7a9cb8"/>')}demand area</li>`,
    ...(zones.some((z) => z.noFly)
      ? [`<li>${swatch('<rect x="1" y="2" width="24" height="12" fill="#e63946" fill-opacity="0.18" stroke="#e63946"/>')}no-fly zone</li>`]
      : []),
    ...(zones.some((z) => !z.noFly)
      ? [
          `<li>${swatch('<rect x="1" y="2" width="24" height="12" fill="#f4a261" fill-opacity="0.18" stroke="#f4a261" stroke-dasharray="4 3"/>')}watched zone</li>`,
        ]
      : []),
    ...used.map(
      (k) =>
        `<li data-status="${k.statuses.join(' ')}">${swatch(`<line x1="1" y1="12" x2="14" y2="4" stroke="${k.colour}" stroke-width="1.5"/><circle cx="19" cy="8" r="4" fill="${k.colour}"/>`)}${esc(k.label)}</li>`,
    ),
  ].join('')
  return `<figure class="mapfig"><svg class="map" width="${W}" height="${W}" viewBox="0 0 ${W} ${W}" role="img" aria-label="Map: the demand area, zones, depots, routes flown and drop-offs">${tiles}${areaSvg}${zoneSvg}${routeSvg}${drops}${depots}${scale}${attribution}</svg>
<figcaption><ul class="map-legend">${legend}</ul><p class="map-note">Lines are the routes flown, dots the drop-offs, each coloured by how its delivery stood when the scenario ended; the scale bar holds at the area's latitude.${note}${basemap ? ` Tiles: ${esc(basemapOrigin(basemap))}.` : ''}</p></figcaption></figure>`
}
