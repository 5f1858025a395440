import { basemapTiles, mercatorX, mercatorY } from '../protocol/webMercator.js'
import { etaWords, eventWords, plainReason, statusHeadline, trackingSteps } from './trackingWords.js'

/**
 * The tracking page's script: plain browser JavaScript, no build step, run
 * as written under the page's CSP nonce. What it says comes from
 * trackingWords.ts, whose functions are pasted in as their own source, as
 * are the projection and the basemap's tiles (protocol/webMercator.ts).
 *
 * Times. The engine's clock (event time) may be a simulation's, any date at
 * any speed, so it is never compared with the browser's: the time left is
 * `eta.at - ts` of the latest message minus the wall time since it arrived,
 * and the arrival clock time is the viewer's own clock plus that time left,
 * shown in the viewer's time zone. For real drones (event time ≈ wall time)
 * this is simply the ETA.
 *
 * The map is SVG in screen pixels (the viewBox follows the element's size),
 * so markers keep their size on a phone. It is Web Mercator, so that an
 * operator's raster tiles, when configured, line up underneath.
 */
export const TRACKING_PAGE_SCRIPT = `
${trackingSteps.toString()}
${statusHeadline.toString()}
${etaWords.toString()}
${plainReason.toString()}
${eventWords.toString()}
${mercatorX.toString()}
${mercatorY.toString()}
${basemapTiles.toString()}
const TERMINAL = new Set(['Completed', 'Cancelled', 'Failed']);
const SVGNS = 'http://www.w3.org/2000/svg';
const PAD = 44, MAX_SCALE = 256 * Math.pow(2, 18);
const $ = (id) => document.getElementById(id);
const state = {
  delivery: null, status: null, events: [], eta: null, etaTs: 0, etaAt: 0,
  position: null, droneState: null, turn: null, trail: [], view: null, W: 0, H: 0,
};
const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayClock = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: 'numeric', minute: '2-digit' });
function clockText(ms) {
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? clock.format(d) : dayClock.format(d);
}
/** Sets an element's text only when it changes: the live region then announces changes, not ticks. */
function setText(id, text) {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
  el.hidden = text === '';
}

// ---- the map -------------------------------------------------------------
function world(p) {
  return { x: mercatorX(p.lon), y: mercatorY(p.lat) };
}
function toScreen(p) {
  const w = world(p), v = state.view;
  return { x: state.W / 2 + (w.x - v.cx) * v.s, y: state.H / 2 + (w.y - v.cy) * v.s };
}
function keyPoints() {
  const d = state.delivery, pts = [d.pickup, d.dropoff];
  if (state.position) pts.push(state.position);
  return pts;
}
function fitView() {
  const pts = keyPoints().concat(state.trail).map(world);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of pts) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
  const s = Math.min(MAX_SCALE, (state.W - 2 * PAD) / Math.max(x1 - x0, 1e-12), (state.H - 2 * PAD) / Math.max(y1 - y0, 1e-12));
  state.view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, s };
}
/** Refits only when a marker leaves the view, so the map does not jump on every update. */
function keepInView() {
  if (!state.view) return fitView();
  for (const p of keyPoints()) {
    const q = toScreen(p);
    if (q.x < PAD / 2 || q.y < PAD / 2 || q.x > state.W - PAD / 2 || q.y > state.H - PAD / 2) return fitView();
  }
}
function measure() {
  const svg = $('map');
  const W = Math.max(200, Math.round(svg.getBoundingClientRect().width));
  const H = Math.round(Math.min(520, Math.max(260, W * 0.72)));
  if (W === state.W && H === state.H) return false;
  state.W = W; state.H = H;
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.setAttribute('height', String(H));
  $('ground').setAttribute('width', String(W));
  $('ground').setAttribute('height', String(H));
  return true;
}
function drawGrid() {
  const g = $('grid');
  g.replaceChildren();
  if (CONFIG.basemap) return;
  for (let x = 0; x <= state.W; x += 64) g.appendChild(svgLine(x, 0, x, state.H));
  for (let y = 0; y <= state.H; y += 64) g.appendChild(svgLine(0, y, state.W, y));
}
function svgLine(x1, y1, x2, y2) {
  const l = document.createElementNS(SVGNS, 'line');
  l.setAttribute('x1', x1); l.setAttribute('y1', y1); l.setAttribute('x2', x2); l.setAttribute('y2', y2);
  return l;
}
const tiles = new Map();
function drawTiles() {
  const b = CONFIG.basemap;
  if (!b || !state.view) return;
  const v = state.view;
  const keep = new Set();
  for (const t of basemapTiles({ cx: v.cx, cy: v.cy, s: v.s, W: state.W, H: state.H }, b.tiles)) {
    keep.add(t.key);
    let img = tiles.get(t.key);
    if (!img) {
      img = document.createElementNS(SVGNS, 'image');
      img.setAttribute('href', t.href);
      img.setAttribute('class', 'tile');
      img.dataset.tile = t.key;
      // A tile that fails is hidden and asked for again a few times, later each time: one lost request must not leave a hole.
      img.addEventListener('error', () => {
        img.setAttribute('visibility', 'hidden');
        const tries = Number(img.dataset.tries ?? 0);
        if (tries < 3) setTimeout(() => {
          img.dataset.tries = String(tries + 1);
          img.removeAttribute('href');
          img.setAttribute('href', t.href);
        }, 1000 * 2 ** tries);
      });
      img.addEventListener('load', () => img.removeAttribute('visibility'));
      tiles.set(t.key, img);
      $('tiles').appendChild(img);
    }
    img.setAttribute('x', t.x.toFixed(1));
    img.setAttribute('y', t.y.toFixed(1));
    img.setAttribute('width', (t.size + 0.5).toFixed(1));
    img.setAttribute('height', (t.size + 0.5).toFixed(1));
  }
  for (const [key, img] of tiles) if (!keep.has(key)) { img.remove(); tiles.delete(key); }
}
function placeMarker(id, p, other) {
  const q = toScreen(p), o = toScreen(other), g = $(id), label = g.querySelector('.label');
  g.setAttribute('transform', 'translate(' + q.x.toFixed(1) + ',' + q.y.toFixed(1) + ')');
  // The label goes on the side away from the other place, so the two never cover each other.
  const right = q.x >= o.x;
  label.setAttribute('x', right ? '24' : '-24');
  label.setAttribute('text-anchor', right ? 'start' : 'end');
  g.dataset.lat = String(p.lat); g.dataset.lon = String(p.lon);
  return q;
}
function drawMap() {
  const d = state.delivery;
  if (!d || !state.W) return;
  keepInView();
  drawTiles();
  const a = placeMarker('pickup', d.pickup, d.dropoff), b = placeMarker('dropoff', d.dropoff, d.pickup);
  $('route').setAttribute('points', a.x.toFixed(1) + ',' + a.y.toFixed(1) + ' ' + b.x.toFixed(1) + ',' + b.y.toFixed(1));
  const trail = state.trail.slice(), end = trail[trail.length - 1], p = state.position;
  if (p && !(end && end.lat === p.lat && end.lon === p.lon)) trail.push(p);
  $('trail').setAttribute('points', trail.map((p) => { const q = toScreen(p); return q.x.toFixed(1) + ',' + q.y.toFixed(1); }).join(' '));
  $('trail').dataset.points = String(state.trail.length);
  const drone = $('drone');
  if (state.position && !TERMINAL.has(state.status)) {
    const q = toScreen(state.position);
    // It glides from one report to the next, but appears, and follows a refit of the map, at once.
    const jump = drone.getAttribute('visibility') !== 'visible' || drone.dataset.view !== viewKey();
    if (jump) drone.style.transition = 'none';
    drone.dataset.view = viewKey();
    drone.style.transform = 'translate(' + q.x.toFixed(1) + 'px,' + q.y.toFixed(1) + 'px) rotate(' + (state.turn || 0).toFixed(1) + 'deg)';
    drone.setAttribute('visibility', 'visible');
    drone.dataset.lat = String(state.position.lat);
    drone.dataset.lon = String(state.position.lon);
    if (jump) { drone.getBoundingClientRect(); drone.style.transition = ''; }
  } else {
    drone.setAttribute('visibility', 'hidden');
  }
  $('map-title').textContent = mapDescription();
}
function viewKey() {
  const v = state.view;
  return v.cx + ',' + v.cy + ',' + v.s + ',' + state.W + ',' + state.H;
}
function mapDescription() {
  const s = state.status;
  if (!state.position || TERMINAL.has(s)) return 'Map of the pickup and the drop-off';
  return s === 'HeadedToPickup' ? 'Map: the drone is flying to the pickup' : s === 'HeadedToDropoff' ? 'Map: the drone is flying your parcel to the drop-off' : 'Map of the delivery';
}
function resize() {
  if (!measure()) return;
  drawGrid();
  if (state.delivery) { fitView(); drawMap(); }
}

// ---- what it says ----------------------------------------------------------
function leftMs() {
  if (!state.eta || TERMINAL.has(state.status)) return null;
  return state.eta.at - state.etaTs - (performance.now() - state.etaAt);
}
function lastEvent(types) {
  for (let i = state.events.length - 1; i >= 0; i--) if (types.includes(state.events[i].type)) return state.events[i];
  return undefined;
}
function render() {
  const s = state.status;
  if (!s) return;
  const types = state.events.map((e) => e.type);
  const left = leftMs();
  const steps = trackingSteps(s, types, left, state.droneState);
  const arriving = steps.some((x) => x.label === 'Arriving' && x.state === 'current');
  const headline = statusHeadline(s, types, arriving);
  setText('status', headline);
  $('status').dataset.status = s;
  const eta = $('eta');
  eta.dataset.kind = left === null && !TERMINAL.has(s) ? 'pending' : 'time';
  if (s === 'Completed') {
    const done = lastEvent(['DeliveryCompleted']);
    setText('eta', done ? 'Arrived at ' + clockText(done.ts) : 'Arrived');
    setText('arrival', '');
    setText('window', '');
    setText('reason', '');
    eta.dataset.remainingMs = '';
  } else if (s === 'Cancelled' || s === 'Failed') {
    setText('eta', '');
    setText('arrival', '');
    setText('window', '');
    setText('reason', plainReason(lastEvent(['DeliveryCancelled', 'DeliveryFailed'])));
    eta.dataset.remainingMs = '';
  } else if (left === null) {
    setText('eta', s === 'Created' ? 'arrival time follows once a drone is assigned' : 'working out the arrival time');
    setText('arrival', '');
    setText('window', '');
    setText('reason', '');
    eta.dataset.remainingMs = '';
  } else {
    const now = Date.now(), since = performance.now() - state.etaAt;
    const at = now + Math.max(0, left);
    setText('eta', etaWords(left));
    setText('arrival', 'Expected at ' + clockText(at));
    $('arrival').dataset.arrivalMs = String(Math.round(at));
    const p10 = now + Math.max(0, state.eta.p10 - state.etaTs - since), p90 = now + Math.max(0, state.eta.p90 - state.etaTs - since);
    setText('window', clockText(p10) === clockText(p90) ? '' : 'between ' + clockText(p10) + ' and ' + clockText(p90));
    setText('reason', '');
    eta.dataset.remainingMs = String(Math.round(left));
  }
  const title = 'Delivery: ' + (eta.textContent && s !== 'Completed' ? eta.textContent : headline);
  if (document.title !== title) document.title = title;
  drawSteps(steps);
}
let shownSteps = '';
function drawSteps(steps) {
  const key = JSON.stringify(steps);
  if (key === shownSteps) return;
  shownSteps = key;
  const ol = $('steps');
  ol.replaceChildren();
  const spoken = { done: ', done', current: ', now', todo: '', stopped: '' };
  for (const st of steps) {
    const li = document.createElement('li');
    li.className = st.state;
    if (st.state === 'current') li.setAttribute('aria-current', 'step');
    const dot = document.createElement('span'); dot.className = 'dot'; dot.setAttribute('aria-hidden', 'true');
    const label = document.createElement('span'); label.className = 'label'; label.textContent = st.label;
    const sr = document.createElement('span'); sr.className = 'sr'; sr.textContent = spoken[st.state];
    li.append(dot, label, sr);
    ol.appendChild(li);
  }
}
function drawEvents() {
  const ol = $('events');
  ol.replaceChildren();
  for (const e of state.events) {
    if (e.type === 'GeofenceEntered' || e.type === 'GeofenceExited') continue;
    const li = document.createElement('li');
    const t = document.createElement('time');
    t.dateTime = new Date(e.ts).toISOString();
    t.textContent = clockText(e.ts);
    li.append(t, ' ', eventWords(e));
    ol.appendChild(li);
  }
}

// ---- messages ----------------------------------------------------------------
function setEta(eta, ts) {
  state.eta = eta;
  state.etaTs = ts;
  state.etaAt = performance.now();
}
/** Headings arrive as 0..360; the drone turns the short way round (it is animated). */
function turnTo(heading) {
  if (state.turn === null) { state.turn = heading; return; }
  const d = ((((heading - state.turn) % 360) + 540) % 360) - 180;
  state.turn += d;
}
function onMessage(m) {
  if (m.type === 'snapshot') {
    const d = m.delivery;
    state.delivery = d;
    state.status = d.status;
    state.events = d.history ? d.history.slice() : [];
    state.position = d.position;
    state.trail = Array.isArray(m.trail) ? m.trail.slice() : d.position ? [d.position] : [];
    if (d.eta) setEta(d.eta, lastKnownTs(d, state.trail));
    state.view = null;
    $('delivery-id').textContent = d.id;
    $('weight').textContent = d.weightKg + ' kg';
    drawEvents();
  } else if (m.type === 'tracking') {
    state.position = m.position;
    state.droneState = m.droneState;
    turnTo(m.heading);
    state.trail.push({ lat: m.position.lat, lon: m.position.lon });
    if (state.trail.length > 2000) state.trail.splice(0, 1000);
    setEta(m.eta, m.ts);
  } else if (m.type === 'status') {
    state.status = m.status;
    const e = m.event || {};
    state.events.push(e);
    if (e.type === 'DroneAssigned') setEta(e.eta, e.ts);
    if (e.type === 'DroneLost') { state.eta = null; state.position = null; }
    if (e.type === 'DeliveryRescheduled' && state.delivery) state.delivery.dropoff = e.dropoff;
    drawEvents();
  }
  render();
  drawMap();
}
// The snapshot's ETA was computed at the newest tracking message or event it knows of (event time).
function lastKnownTs(d, trail) {
  const h = d.history || [], p = trail[trail.length - 1];
  const ts = Math.max(h.length ? h[h.length - 1].ts : -Infinity, p && typeof p.ts === 'number' ? p.ts : -Infinity);
  return Number.isFinite(ts) ? ts : Date.now();
}
let retry = 500;
function connect() {
  // Behind a proxy the socket is where the operator said (--public-ws-url); otherwise this host, on the gateway's port.
  const base = CONFIG.wsBase || (location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.hostname + ':' + CONFIG.wsPort;
  const url = base + '/v1/track/' + encodeURIComponent(CONFIG.id) + '?token=' + encodeURIComponent(CONFIG.token);
  const ws = new WebSocket(url);
  ws.onopen = () => { retry = 500; $('conn').textContent = 'live'; $('conn').dataset.state = 'live'; };
  ws.onmessage = (e) => { try { onMessage(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  ws.onclose = (e) => {
    if (TERMINAL.has(state.status) || e.code === 1000) { $('conn').textContent = 'tracking ended'; $('conn').dataset.state = 'ended'; return; }
    $('conn').textContent = 'reconnecting…';
    $('conn').dataset.state = 'reconnecting';
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 15000);
  };
}
if (CONFIG.basemap && CONFIG.basemap.attribution) $('attribution').textContent = CONFIG.basemap.attribution;
measure();
drawGrid();
new ResizeObserver(resize).observe($('map'));
setInterval(render, 250);
connect();
`
