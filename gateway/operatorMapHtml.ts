import type { Basemap } from './basemap.js'
import { scriptJson } from './pageText.js'
import { OPERATOR_MAP_SCRIPT } from './operatorMapScript.js'

/**
 * The operator's live map: the whole fleet from `/v1/fleet` on a canvas,
 * coloured by state, with zones and in-flight deliveries, filters, and the
 * details of a clicked drone or delivery. One HTML document, CSS and script
 * inline (operatorMapScript.ts), nothing from a CDN. The page holds no data:
 * everything it shows comes with the operator's API key.
 */
export interface OperatorMapOptions {
  wsPort: number
  /** Where the page's socket connects when a proxy stands in front (the gateway's public WebSocket base); null: this host, on wsPort. */
  wsBase?: string | null
  /** CSP nonce for the inline script and style. */
  nonce: string
  basemap?: Basemap | null
}

/** Each drone state's label and colour (distinct in hue and lightness); the script draws with the same list. */
const STATES: Array<[string, string, string]> = [
  ['idle', 'Idle', '#6b7280'],
  ['charging', 'Charging', '#a16207'],
  ['takeoff', 'Taking off', '#7c3aed'],
  ['cruise', 'Cruising', '#2563eb'],
  ['hover', 'Hovering', '#0e7490'],
  ['landing', 'Landing', '#db2777'],
  ['returning', 'Returning', '#15803d'],
  ['failed', 'Failed', '#dc2626'],
  ['lost', 'Lost (silent)', '#111827'],
]

export function renderOperatorMap(o: OperatorMapOptions): string {
  const config = scriptJson({ wsPort: o.wsPort, wsBase: o.wsBase ?? null, basemap: o.basemap ?? null, states: STATES })
  const states = STATES.map(
    ([s, label]) =>
      `<li><label><input type="checkbox" id="show-${s}" checked> <span class="swatch s-${s}"></span> ${label} <span class="count" id="count-${s}">0</span></label></li>`,
  ).join('\n        ')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Operator map · dronefleet</title>
<style nonce="${o.nonce}">${CSS}${STATES.map(([s, , colour]) => `.s-${s} { background: ${colour}; }`).join('\n')}</style>
</head>
<body>
<header>
  <h1><a href="/">dronefleet</a> · operator map</h1>
  <p id="summary" data-drones="0">waiting for the fleet…</p>
  <p class="status"><span id="conn" data-state="connecting">connecting…</span> · <span id="perf" data-p50="" data-p95="" data-frames="0">frame –</span></p>
</header>
<form id="login" class="login" hidden>
  <h2>Operator API key</h2>
  <p>The map shows the fleet to operators only. The key stays in this browser tab.</p>
  <label for="key">API key</label>
  <input id="key" type="password" autocomplete="current-password" required>
  <button type="submit">Open the map</button>
  <p id="login-error" class="error" role="alert"></p>
</form>
<div class="layout">
  <aside class="filters" aria-label="Filters">
    <fieldset>
      <legend>Drones by state</legend>
      <ul>
        ${states}
      </ul>
    </fieldset>
    <fieldset>
      <legend>Also show</legend>
      <ul>
        <li><label><input type="checkbox" id="show-deliveries" checked> Deliveries in progress <span class="count" id="delivery-count" data-count="0">0</span></label></li>
        <li><label><input type="checkbox" id="show-zones" checked> Zones <span class="count" id="zone-count">0</span></label></li>
      </ul>
      <p class="key-legend"><span class="k-wait"></span> waiting · <span class="k-pickup"></span> pickup · <span class="k-drop"></span> drop-off · <span class="k-nofly"></span> no-fly</p>
    </fieldset>
    <form id="find">
      <label for="find-id">Find a drone</label>
      <div class="row"><input id="find-id" placeholder="d-17" autocomplete="off"><button type="submit">Find</button></div>
      <p id="find-error" class="error" role="status"></p>
    </form>
  </aside>
  <section class="stage-wrap">
    <div id="stage" class="stage">
      <canvas id="map" tabindex="0" role="img" aria-label="Map of the fleet. Arrow keys pan, + and - zoom, 0 fits the fleet."></canvas>
      <div class="zoom">
        <button type="button" id="zoom-in" aria-label="Zoom in">+</button>
        <button type="button" id="zoom-out" aria-label="Zoom out">−</button>
        <button type="button" id="zoom-fit" aria-label="Fit the fleet">⤢</button>
      </div>
      <p id="attribution" class="attribution"></p>
    </div>
  </section>
  <aside class="details-wrap" aria-label="Details">
    <div id="details" data-kind="" data-id=""></div>
    <p id="announce" class="sr" aria-live="polite"></p>
  </aside>
</div>
<script nonce="${o.nonce}">
const CONFIG = ${config};
${OPERATOR_MAP_SCRIPT}
</script>
</body>
</html>
`
}

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: #f3f4f6; }
body { margin: 0; height: 100vh; display: flex; flex-direction: column; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 24px; padding: 8px 16px; background: #111827; color: #f9fafb; }
header h1 { font-size: 1.05rem; margin: 0; }
header a { color: #f9fafb; }
header p { margin: 0; font-size: .92rem; }
.status { margin-left: auto !important; color: #d1d5db; font-variant-numeric: tabular-nums; }
#conn[data-state="live"]::before { content: "● "; color: #4ade80; }
.layout { flex: 1; display: grid; grid-template-columns: 230px 1fr 290px; min-height: 0; }
.filters, .details-wrap { background: #fff; padding: 10px 14px; overflow: auto; font-size: .92rem; }
.filters { border-right: 1px solid #d1d5db; }
.details-wrap { border-left: 1px solid #d1d5db; }
fieldset { border: 0; padding: 0; margin: 0 0 14px; }
legend { font-weight: 700; margin-bottom: 4px; }
ul { list-style: none; padding: 0; margin: 0; }
li label { display: flex; align-items: center; gap: 6px; padding: 3px 0; cursor: pointer; }
.count { margin-left: auto; color: #374151; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; flex: none; vertical-align: -1px; margin-right: 4px; }
.key-legend { color: #374151; font-size: .85rem; line-height: 1.8; }
.key-legend span { display: inline-block; width: 10px; height: 10px; vertical-align: -1px; }
.k-wait { background: #f59e0b; border: 2px solid #78350f; border-radius: 50%; }
.k-pickup { background: #fff; border: 2px solid #15803d; border-radius: 50%; }
.k-drop { background: #fff; border: 2px solid #c2410c; }
.k-nofly { background: rgba(220,38,38,.2); border: 2px solid #b91c1c; }
.row { display: flex; gap: 6px; margin-top: 4px; }
input[type="text"], input:not([type]), input[type="password"] { flex: 1; min-width: 0; padding: 6px 8px; border: 1px solid #6b7280; border-radius: 4px; font: inherit; }
button { font: inherit; padding: 6px 10px; border: 1px solid #1f2937; background: #1f2937; color: #fff; border-radius: 4px; cursor: pointer; }
button.link { background: none; border: 0; color: #1d4ed8; padding: 0; text-decoration: underline; }
.error { color: #b91c1c; min-height: 1em; margin: 4px 0; }
.stage-wrap { position: relative; min-width: 0; min-height: 0; }
.stage { position: absolute; inset: 0; }
canvas { display: block; touch-action: none; cursor: crosshair; }
.zoom { position: absolute; top: 10px; right: 10px; display: flex; flex-direction: column; gap: 4px; }
.zoom button { width: 34px; height: 34px; padding: 0; font-size: 1.1rem; background: #fff; color: #111827; border-color: #6b7280; }
.attribution { position: absolute; right: 4px; bottom: 2px; margin: 0; font-size: .75rem; color: #1f2937; background: rgba(255,255,255,.8); padding: 0 4px; }
.attribution:empty { display: none; }
#details h2 { font-size: 1.05rem; margin: 4px 0 8px; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 10px; margin: 0 0 12px; }
dt { color: #4b5563; }
dd { margin: 0; overflow-wrap: anywhere; }
.muted { color: #4b5563; }
.link-out { overflow-wrap: anywhere; }
.login { position: fixed; inset: 0; margin: auto; width: min(380px, 90vw); height: fit-content; background: #fff; padding: 20px; border-radius: 8px; box-shadow: 0 10px 40px rgba(0,0,0,.35); z-index: 10; display: flex; flex-direction: column; gap: 8px; }
.login[hidden] { display: none; }
.login h2 { margin: 0; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
@media (max-width: 900px) {
  body { height: auto; }
  .layout { grid-template-columns: 1fr; }
  .stage-wrap { height: 70vh; }
  .filters, .details-wrap { border: 0; }
}
`
