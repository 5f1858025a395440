/**
 * The customer tracking page: one HTML document with its CSS and script
 * inline, an SVG map drawn from the delivery's own coordinates (no tiles, no
 * CDN), the status, and an ETA countdown with its P10–P90 window.
 *
 * The countdown runs on the engine's clock, not the browser's: the time left
 * is `eta.at - ts` of the latest tracking message, minus the wall time since
 * it arrived. That is right for real drones (event time ≈ wall time) and for
 * a simulation running faster than real time alike.
 */
export interface TrackingPageOptions {
  deliveryId: string
  token: string
  wsPort: number
  /** CSP nonce for the inline script and style. */
  nonce: string
}

/** JSON that is safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028|\u2029/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function renderTrackingPage(o: TrackingPageOptions): string {
  const config = scriptJson({ id: o.deliveryId, token: o.token, wsPort: o.wsPort })
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Delivery ${escapeHtml(o.deliveryId)}</title>
<style nonce="${o.nonce}">${CSS}</style>
</head>
<body>
<main>
  <header>
    <h1>Your delivery</h1>
    <p id="status" data-status="">Connecting…</p>
  </header>
  <section class="eta">
    <div id="eta" data-remaining-ms="">–</div>
    <div id="window">arrival window –</div>
  </section>
  <svg id="map" viewBox="0 0 1000 700" role="img" aria-label="map of the delivery">
    <rect class="ground" x="0" y="0" width="1000" height="700"/>
    <g id="grid"></g>
    <line id="route" class="route" x1="0" y1="0" x2="0" y2="0"/>
    <polyline id="trail" class="trail" points=""/>
    <g id="pickup" class="place"><circle r="14"/><text y="5">P</text></g>
    <g id="dropoff" class="place dropoff"><circle r="14"/><text y="5">D</text></g>
    <g id="drone" class="drone" data-lat="" data-lon="" visibility="hidden"><path d="M0,-18 L12,14 L0,7 L-12,14 Z"/></g>
  </svg>
  <p id="conn" class="muted">connecting…</p>
  <p class="muted">Delivery <code>${escapeHtml(o.deliveryId)}</code></p>
</main>
<script nonce="${o.nonce}">
const CONFIG = ${config};
${SCRIPT}
</script>
</body>
</html>
`
}

const CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2430; background: #f4f6f8; }
main { max-width: 720px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.3rem; margin: 0 0 4px; }
#status { font-size: 1.1rem; font-weight: 600; margin: 0 0 12px; }
.eta { display: flex; align-items: baseline; gap: 16px; margin-bottom: 12px; }
#eta { font-size: 2rem; font-variant-numeric: tabular-nums; font-weight: 700; }
#window { color: #556; }
svg { width: 100%; height: auto; border-radius: 8px; display: block; }
.ground { fill: #e6efe6; }
.gridline { stroke: #d2ddd2; stroke-width: 1; }
.route { stroke: #6b7a90; stroke-width: 3; stroke-dasharray: 10 8; }
.trail { fill: none; stroke: #2f6fde; stroke-width: 3; stroke-opacity: .5; }
.place circle { fill: #fff; stroke: #2b7a3d; stroke-width: 4; }
.place.dropoff circle { stroke: #c2410c; }
.place text { font: bold 14px system-ui, sans-serif; text-anchor: middle; fill: #1d2430; }
.drone path { fill: #2f6fde; stroke: #fff; stroke-width: 2; }
.muted { color: #778; font-size: .85rem; }
`

// Plain browser JavaScript (no build step): it runs as written.
const SCRIPT = String.raw`
const LABELS = {
  Created: 'Finding a drone for your parcel', HeadedToPickup: 'A drone is on its way to pick up your parcel',
  HeadedToDropoff: 'Your parcel is in the air, on its way to you', Completed: 'Delivered', Cancelled: 'Cancelled', Failed: 'Delivery failed',
};
const TERMINAL = new Set(['Completed', 'Cancelled', 'Failed']);
const W = 1000, H = 700, PAD = 70;
const $ = (id) => document.getElementById(id);
const state = { delivery: null, status: null, eta: null, etaTs: 0, etaAt: 0, position: null, heading: 0, trail: [], bounds: null };

// An equirectangular projection around the delivery, longitudes scaled by cos(latitude): fine at city scale.
function fit(points) {
  let b = state.bounds;
  for (const p of points) {
    if (!b) b = { minLat: p.lat, maxLat: p.lat, minLon: p.lon, maxLon: p.lon };
    b = { minLat: Math.min(b.minLat, p.lat), maxLat: Math.max(b.maxLat, p.lat), minLon: Math.min(b.minLon, p.lon), maxLon: Math.max(b.maxLon, p.lon) };
  }
  state.bounds = b;
}
function project(p) {
  const b = state.bounds;
  const k = Math.cos(((b.minLat + b.maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((b.maxLon - b.minLon) * k, 1e-6), spanY = Math.max(b.maxLat - b.minLat, 1e-6);
  const s = Math.min((W - 2 * PAD) / spanX, (H - 2 * PAD) / spanY);
  const cx = (b.minLon + b.maxLon) / 2, cy = (b.minLat + b.maxLat) / 2;
  return { x: W / 2 + (p.lon - cx) * k * s, y: H / 2 - (p.lat - cy) * s };
}
function place(id, p) {
  const q = project(p);
  $(id).setAttribute('transform', 'translate(' + q.x.toFixed(1) + ',' + q.y.toFixed(1) + ')');
  return q;
}
function drawGrid() {
  const g = $('grid');
  while (g.firstChild) g.removeChild(g.firstChild);
  for (let x = 0; x <= W; x += 100) g.appendChild(line(x, 0, x, H));
  for (let y = 0; y <= H; y += 100) g.appendChild(line(0, y, W, y));
}
function line(x1, y1, x2, y2) {
  const l = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  l.setAttribute('class', 'gridline');
  l.setAttribute('x1', x1); l.setAttribute('y1', y1); l.setAttribute('x2', x2); l.setAttribute('y2', y2);
  return l;
}
function drawMap() {
  const d = state.delivery;
  if (!d) return;
  const a = place('pickup', d.pickup), b = place('dropoff', d.dropoff);
  const r = $('route');
  r.setAttribute('x1', a.x); r.setAttribute('y1', a.y); r.setAttribute('x2', b.x); r.setAttribute('y2', b.y);
  $('trail').setAttribute('points', state.trail.map((p) => { const q = project(p); return q.x.toFixed(1) + ',' + q.y.toFixed(1); }).join(' '));
  const drone = $('drone');
  if (state.position) {
    const q = project(state.position);
    drone.setAttribute('transform', 'translate(' + q.x.toFixed(1) + ',' + q.y.toFixed(1) + ') rotate(' + state.heading + ')');
    drone.setAttribute('visibility', 'visible');
    drone.dataset.lat = String(state.position.lat);
    drone.dataset.lon = String(state.position.lon);
  }
}
function showStatus(s) {
  state.status = s;
  const el = $('status');
  el.textContent = LABELS[s] || s;
  el.dataset.status = s;
}
function mmss(ms) {
  const t = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  return (h ? h + ':' + String(m).padStart(2, '0') : String(m)) + ':' + String(s).padStart(2, '0');
}
function tick() {
  const el = $('eta'), win = $('window');
  if (TERMINAL.has(state.status)) {
    el.textContent = state.status === 'Completed' ? 'Arrived' : '–';
    el.dataset.remainingMs = '';
    win.textContent = '';
    return;
  }
  if (!state.eta) {
    el.textContent = '–';
    el.dataset.remainingMs = '';
    win.textContent = 'arrival window –';
    return;
  }
  // Time left on the engine's clock at the last message, run down at wall-clock rate since it arrived.
  const elapsed = performance.now() - state.etaAt;
  const left = state.eta.at - state.etaTs - elapsed;
  el.textContent = left > 0 ? mmss(left) : 'any moment';
  el.dataset.remainingMs = String(Math.round(left));
  win.textContent = 'window ' + mmss(state.eta.p10 - state.etaTs - elapsed) + ' – ' + mmss(state.eta.p90 - state.etaTs - elapsed);
}
function setEta(eta, ts) {
  state.eta = eta;
  state.etaTs = ts;
  state.etaAt = performance.now();
  tick();
}
function onMessage(m) {
  if (m.type === 'snapshot') {
    const d = m.delivery;
    state.delivery = d;
    state.bounds = null;
    fit([d.pickup, d.dropoff]);
    if (d.position) { state.position = d.position; state.trail = [d.position]; fit([d.position]); }
    showStatus(d.status);
    if (d.eta) setEta(d.eta, lastEventTs(d)); // approximate until the next tracking message
    drawGrid();
    drawMap();
  } else if (m.type === 'tracking') {
    state.position = m.position;
    state.heading = m.heading;
    state.trail.push(m.position);
    if (state.trail.length > 2000) state.trail.splice(0, 1000);
    fit([m.position]);
    setEta(m.eta, m.ts);
    drawMap();
  } else if (m.type === 'status') {
    showStatus(m.status);
    const e = m.event || {};
    if (e.type === 'DroneAssigned') setEta(e.eta, e.ts);
    if (e.type === 'DeliveryRescheduled' && state.delivery) {
      state.delivery.dropoff = e.dropoff;
      fit([e.dropoff]);
      drawMap();
    }
    tick();
  }
}
// The snapshot's ETA was computed at the newest event it knows of.
function lastEventTs(d) {
  const h = d.history || [];
  return h.length ? h[h.length - 1].ts : Date.now();
}
let retry = 500;
function connect() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = proto + '://' + location.hostname + ':' + CONFIG.wsPort + '/v1/track/' + encodeURIComponent(CONFIG.id) + '?token=' + encodeURIComponent(CONFIG.token);
  const ws = new WebSocket(url);
  ws.onopen = () => { retry = 500; $('conn').textContent = 'live'; };
  ws.onmessage = (e) => { try { onMessage(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  ws.onclose = (e) => {
    if (TERMINAL.has(state.status) || e.code === 1000) { $('conn').textContent = 'tracking ended'; return; }
    $('conn').textContent = 'reconnecting…';
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 15000);
  };
}
setInterval(tick, 250);
connect();
`
