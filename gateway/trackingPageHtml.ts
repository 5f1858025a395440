import type { Basemap } from './basemap.js'
import { escapeHtml, scriptJson } from './pageText.js'
import { TRACKING_PAGE_SCRIPT } from './trackingPageScript.js'

/**
 * The customer tracking page: one HTML document with its CSS and script
 * inline (no CDN), fed by the tracking WebSocket. It says where the delivery
 * is in words and steps, when it should arrive ("arrives in about 4 min",
 * expected at a clock time in the viewer's time zone, with its P10–P90
 * window as times), and draws pickup, drop-off, drone and trail on a map
 * (tiles underneath only when the operator configured a basemap). The
 * status and ETA sit in a polite live region for screen readers; motion
 * stops under prefers-reduced-motion. The script is trackingPageScript.ts.
 */
export interface TrackingPageOptions {
  deliveryId: string
  token: string
  wsPort: number
  /** Where the page's socket connects when a proxy stands in front (the gateway's public WebSocket base); null: this host, on wsPort. */
  wsBase?: string | null
  /** CSP nonce for the inline script and style. */
  nonce: string
  basemap?: Basemap | null
}

export function renderTrackingPage(o: TrackingPageOptions): string {
  const config = scriptJson({ id: o.deliveryId, token: o.token, wsPort: o.wsPort, wsBase: o.wsBase ?? null, basemap: o.basemap ?? null })
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Your delivery</title>
<style nonce="${o.nonce}">${CSS}</style>
</head>
<body>
<main>
  <p class="kicker">Delivery tracking</p>
  <section id="summary" aria-live="polite">
    <h1 id="status" data-status="">Connecting…</h1>
    <p id="eta" class="eta" data-remaining-ms="" hidden></p>
    <p id="arrival" class="arrival" hidden></p>
    <p id="window" class="window" hidden></p>
    <p id="reason" class="reason" hidden></p>
  </section>
  <ol id="steps" class="steps" aria-label="Progress"></ol>
  <figure class="map">
    <svg id="map" role="img" aria-labelledby="map-title" width="100%" height="280" viewBox="0 0 390 280">
      <title id="map-title">Map of the delivery</title>
      <rect id="ground" class="ground" x="0" y="0" width="390" height="280"/>
      <g id="tiles"></g>
      <g id="grid" class="grid"></g>
      <polyline id="route" class="route" points=""/>
      <polyline id="trail" class="trail" points="" data-points="0"/>
      <g id="pickup" class="place pickup"><circle r="16"/><text class="letter" y="6">P</text><text class="label" x="24" y="6">Pickup</text></g>
      <g id="dropoff" class="place dropoff"><rect x="-16" y="-16" width="32" height="32" rx="6"/><text class="letter" y="6">D</text><text class="label" x="24" y="6">Drop-off</text></g>
      <g id="drone" class="drone" data-lat="" data-lon="" visibility="hidden"><circle class="halo" r="22"/><path d="M0,-20 L14,15 L0,8 L-14,15 Z"/></g>
    </svg>
    <p id="attribution" class="attribution"></p>
    <figcaption class="legend">
      <span><svg width="22" height="22" viewBox="-11 -11 22 22" aria-hidden="true"><circle class="key-pickup" r="8"/></svg>Pickup</span>
      <span><svg width="22" height="22" viewBox="-11 -11 22 22" aria-hidden="true"><rect class="key-dropoff" x="-8" y="-8" width="16" height="16" rx="3"/></svg>Drop-off</span>
      <span><svg width="22" height="22" viewBox="-11 -11 22 22" aria-hidden="true"><path class="key-drone" d="M0,-9 L7,8 L0,4 L-7,8 Z"/></svg>Drone</span>
      <span><svg width="22" height="22" viewBox="-11 -11 22 22" aria-hidden="true"><line class="key-trail" x1="-9" y1="5" x2="9" y2="-5"/></svg>Its path</span>
    </figcaption>
  </figure>
  <p id="conn" class="conn" data-state="connecting">connecting…</p>
  <details>
    <summary>Details</summary>
    <dl>
      <dt>Delivery</dt><dd><code id="delivery-id">${escapeHtml(o.deliveryId)}</code></dd>
      <dt>Parcel</dt><dd id="weight">–</dd>
    </dl>
    <ol id="events" class="events"></ol>
  </details>
</main>
<script nonce="${o.nonce}">
const CONFIG = ${config};
${TRACKING_PAGE_SCRIPT}
</script>
</body>
</html>
`
}

// Colours meet WCAG AA (4.5:1) for text on the page's background; the map's labels have a white halo.
const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: #f3f4f6; line-height: 1.4; }
body { margin: 0; }
main { max-width: 720px; margin: 0 auto; padding: 12px 14px 32px; }
.kicker { margin: 0; color: #4b5563; font-size: .9rem; font-weight: 600; letter-spacing: .02em; }
h1 { font-size: 1.35rem; margin: 2px 0 6px; }
.eta { font-size: 1.6rem; font-weight: 750; margin: 0; font-variant-numeric: tabular-nums; line-height: 1.2; }
.eta[data-kind="pending"] { font-size: 1.05rem; font-weight: 500; color: #374151; }
.arrival { font-size: 1.15rem; font-weight: 600; margin: 2px 0 0; }
.window { color: #374151; margin: 0; }
.reason { margin: 6px 0 0; padding: 10px 12px; background: #fef2f2; border-left: 4px solid #b91c1c; color: #7f1d1d; border-radius: 4px; }
[hidden] { display: none !important; }
.steps { list-style: none; padding: 0; margin: 14px 0; display: flex; gap: 4px; }
.steps li { flex: 1 1 0; min-width: 0; font-size: .82rem; color: #4b5563; display: flex; flex-direction: column; align-items: center; text-align: center; gap: 4px; position: relative; }
.steps li::before { content: ""; position: absolute; top: 9px; right: 50%; width: 100%; height: 3px; background: #d1d5db; z-index: 0; }
.steps li:first-child::before { display: none; }
.steps li.done::before, .steps li.current::before, .steps li.stopped::before { background: #15803d; }
.steps .dot { width: 20px; height: 20px; border-radius: 50%; border: 3px solid #9ca3af; background: #fff; box-sizing: border-box; z-index: 1; }
.steps li.done { color: #14532d; }
.steps li.done .dot { background: #15803d; border-color: #15803d; }
.steps li.current { color: #1e3a8a; font-weight: 700; }
.steps li.current .dot { border-color: #1d4ed8; background: #bfdbfe; }
.steps li.stopped { color: #991b1b; font-weight: 700; }
.steps li.stopped .dot { background: #b91c1c; border-color: #b91c1c; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
figure.map { margin: 0; }
svg#map { width: 100%; display: block; border-radius: 10px; background: #e5ece5; }
.ground { fill: #e5ece5; }
.grid line { stroke: #d1dbd1; stroke-width: 1; }
.tile { image-rendering: auto; }
.route { fill: none; stroke: #4b5563; stroke-width: 3; stroke-dasharray: 9 7; }
.trail { fill: none; stroke: #1d4ed8; stroke-width: 4; stroke-opacity: .65; stroke-linejoin: round; stroke-linecap: round; }
.place circle, .place rect { fill: #fff; stroke-width: 4; }
.pickup circle { stroke: #15803d; }
.dropoff rect { stroke: #c2410c; }
.place text { font: 700 18px system-ui, sans-serif; }
.place .letter { text-anchor: middle; fill: #111827; }
.place .label { font-size: 15px; fill: #111827; paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
.drone { transition: transform .9s linear; }
.drone path { fill: #1d4ed8; stroke: #fff; stroke-width: 2.5; stroke-linejoin: round; }
.drone .halo { fill: #1d4ed8; fill-opacity: .18; transform-box: fill-box; transform-origin: center; animation: pulse 2s ease-out infinite; }
@keyframes pulse { from { transform: scale(.6); opacity: 1; } to { transform: scale(1.5); opacity: 0; } }
@media (prefers-reduced-motion: reduce) {
  .drone { transition: none; }
  .drone .halo { animation: none; }
}
.attribution { margin: 2px 0 0; font-size: .75rem; color: #374151; text-align: right; }
.attribution:empty { display: none; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 8px 0 0; font-size: .9rem; color: #1f2937; }
.legend span { display: inline-flex; align-items: center; gap: 4px; }
.key-pickup { fill: #fff; stroke: #15803d; stroke-width: 3; }
.key-dropoff { fill: #fff; stroke: #c2410c; stroke-width: 3; }
.key-drone { fill: #1d4ed8; }
.key-trail { stroke: #1d4ed8; stroke-width: 4; stroke-opacity: .65; stroke-linecap: round; }
.conn { color: #4b5563; font-size: .9rem; margin: 10px 0; }
.conn[data-state="live"]::before { content: "● "; color: #15803d; }
details { background: #fff; border-radius: 8px; padding: 8px 12px; }
summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 8px 0; }
dt { color: #4b5563; }
dd { margin: 0; overflow-wrap: anywhere; }
.events { padding-left: 0; list-style: none; margin: 0; }
.events li { padding: 2px 0; }
.events time { color: #4b5563; font-variant-numeric: tabular-nums; margin-right: 6px; }
:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
@media (min-width: 600px) { .steps li { font-size: .9rem; } h1 { font-size: 1.6rem; } .eta { font-size: 2.2rem; } }
`
