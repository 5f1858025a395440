import { basemapTiles, mercatorX, mercatorY } from '../protocol/webMercator.js'

/**
 * The operator map's script: plain browser JavaScript, run as written under
 * the page's CSP nonce.
 *
 * It draws the whole fleet from `ws://…/v1/fleet` on one canvas: drones are
 * kept in typed arrays, grouped by state once per frame (a counting sort),
 * and drawn as one path per state, so 10,000 drones are a few thousand
 * rectangles per colour, not 10,000 DOM nodes. Between two frames each drone
 * glides from where it was to where it is (none under prefers-reduced-motion),
 * and the page only animates while something moves. Zones and in-flight
 * deliveries come from the REST API with the operator's key.
 *
 * The key: typed into the page once (kept in sessionStorage for this tab), or
 * given in the URL fragment `#key=…`, which browsers never send to a server;
 * the page removes it from the address bar. The socket takes it as `?apiKey=`.
 *
 * The projection and the basemap's tiles are protocol/webMercator.ts's
 * functions, pasted in as their source (the tracking page and the run
 * report use the same).
 *
 * Each frame's drawing time is kept (the last 600), shown in the status bar
 * and readable by tests and bench/operator-map.ts as `#perf`'s data.
 */
export const OPERATOR_MAP_SCRIPT = `
// [state, label, colour], the same list the filters were written from; 'lost' is last.
const STATES = CONFIG.states.map((s) => s[0]);
const LABELS = Object.fromEntries(CONFIG.states.map((s) => [s[0], s[1]]));
const COLOURS = Object.fromEntries(CONFIG.states.map((s) => [s[0], s[2]]));
const LOST = STATES.indexOf('lost');
const ACTIVE = ['Created', 'HeadedToPickup', 'HeadedToDropoff'];
const STATUS_WORDS = {
  Created: 'waiting for a drone', HeadedToPickup: 'drone flying to the pickup', HeadedToDropoff: 'parcel on its way',
  Completed: 'delivered', Cancelled: 'cancelled', Failed: 'failed',
};
const $ = (id) => document.getElementById(id);
const reduced = matchMedia('(prefers-reduced-motion: reduce)');
const canvas = $('map');
const ctx = canvas.getContext('2d', { alpha: false });
const nf = new Intl.NumberFormat();
const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' });

let KEY = null;
// The view fits what has arrived (fleet, zones, deliveries) until the operator moves it.
const view = { cx: 0.5, cy: 0.5, s: 512, W: 300, H: 300, dpr: 1, auto: true, fleetSeen: false };
const show = { states: new Set(STATES), deliveries: true, zones: true };
const fleet = {
  n: 0, drones: [], index: new Map(), x: new Float64Array(0), y: new Float64Array(0), px: new Float64Array(0), py: new Float64Array(0),
  st: new Uint8Array(0), order: new Uint32Array(0), starts: new Uint32Array(STATES.length + 1),
  sx: new Float32Array(0), sy: new Float32Array(0), at: 0, interval: 1000, ts: 0,
};
let zones = [];
let deliveries = [];
let selected = null;
const perf = { draws: [], gaps: [], ingest: [], lastRaf: 0, frames: 0, fleetFrames: 0 };

// ---- projection -------------------------------------------------------------
${mercatorX.toString()}
${mercatorY.toString()}
${basemapTiles.toString()}
const wx = mercatorX, wy = mercatorY;
function sxOf(x) { return view.W / 2 + (x - view.cx) * view.s; }
function syOf(y) { return view.H / 2 + (y - view.cy) * view.s; }
function fit() {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  const add = (x, y) => { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; };
  for (let i = 0; i < fleet.n; i++) add(fleet.x[i], fleet.y[i]);
  for (const z of zones) for (const p of z.pts) add(p.x, p.y);
  for (const d of deliveries) { add(d.pickup.x, d.pickup.y); add(d.dropoff.x, d.dropoff.y); }
  if (x0 === Infinity) return false;
  const pad = 40;
  view.s = Math.min(256 * Math.pow(2, 19), (view.W - 2 * pad) / Math.max(x1 - x0, 1e-9), (view.H - 2 * pad) / Math.max(y1 - y0, 1e-9));
  view.cx = (x0 + x1) / 2;
  view.cy = (y0 + y1) / 2;
  return true;
}
function autoFit() { if (view.auto) fit(); }
function moved() { view.auto = false; }
function zoomAt(factor, px, py) {
  moved();
  const s = Math.max(256, Math.min(256 * Math.pow(2, 21), view.s * factor));
  const x = view.cx + (px - view.W / 2) / view.s, y = view.cy + (py - view.H / 2) / view.s;
  view.s = s;
  view.cx = x - (px - view.W / 2) / s;
  view.cy = y - (py - view.H / 2) / s;
  request();
}
function pan(dx, dy) { moved(); view.cx -= dx / view.s; view.cy -= dy / view.s; request(); }

// ---- the fleet --------------------------------------------------------------
function ingest(m, received) {
  const t0 = performance.now();
  const ds = m.drones, n = ds.length;
  const old = fleet;
  const x = new Float64Array(n), y = new Float64Array(n), px = new Float64Array(n), py = new Float64Array(n), st = new Uint8Array(n);
  const index = new Map();
  const stateIndex = {};
  STATES.forEach((s, k) => (stateIndex[s] = k));
  const counts = new Uint32Array(STATES.length);
  // Where each drone is drawn now (mid-glide, perhaps) is where its next glide starts.
  const a = glide(t0);
  for (let i = 0; i < n; i++) {
    const d = ds[i];
    x[i] = wx(d.lon); y[i] = wy(d.lat);
    const j = old.index.get(d.id);
    if (j === undefined) { px[i] = x[i]; py[i] = y[i]; }
    else { px[i] = old.px[j] + (old.x[j] - old.px[j]) * a; py[i] = old.py[j] + (old.y[j] - old.py[j]) * a; }
    // A drone that reported failure is lost to the engine too; "failed" says more than "lost".
    const k = d.lost && d.state !== 'failed' ? LOST : stateIndex[d.state] ?? 0;
    st[i] = k; counts[k]++;
    index.set(d.id, i);
  }
  const starts = new Uint32Array(STATES.length + 1);
  for (let k = 0; k < STATES.length; k++) starts[k + 1] = starts[k] + counts[k];
  const fillAt = starts.slice(0, STATES.length), order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[fillAt[st[i]]++] = i;
  if (old.ts && m.ts > old.ts) fleet.interval = Math.min(10000, Math.max(100, m.ts - old.ts));
  Object.assign(fleet, { n, drones: ds, index, x, y, px, py, st, order, starts, sx: new Float32Array(n), sy: new Float32Array(n), at: t0, ts: m.ts });
  perf.fleetFrames++;
  record(perf.ingest, performance.now() - received);
  if (!view.fleetSeen) { view.fleetSeen = true; autoFit(); }
  showCounts(counts);
  if (selected && selected.kind === 'drone') showDrone(selected.id, false);
  request();
}
function glide(now) {
  if (reduced.matches) return 1;
  return Math.max(0, Math.min(1, (now - fleet.at) / fleet.interval));
}
function showCounts(counts) {
  let lost = 0, flying = 0;
  STATES.forEach((s, k) => {
    $('count-' + s).textContent = nf.format(counts[k]);
    if (s === 'lost') lost = counts[k];
    if (s !== 'idle' && s !== 'charging' && s !== 'lost' && s !== 'failed') flying += counts[k];
  });
  $('summary').textContent = nf.format(fleet.n) + ' drones · ' + nf.format(flying) + ' flying · ' + nf.format(lost) + ' lost · ' +
    nf.format(deliveries.length) + ' deliveries in progress';
  $('summary').dataset.drones = String(fleet.n);
  canvas.setAttribute('aria-label', 'Map of ' + $('summary').textContent + '. Arrow keys pan, + and - zoom, 0 fits the fleet.');
}

// ---- drawing ----------------------------------------------------------------
let pending = false, dragging = null;
function request() { if (!pending) { pending = true; requestAnimationFrame(frame); } }
function record(list, v) { list.push(v); if (list.length > 600) list.splice(0, list.length - 600); }
function frame() {
  pending = false;
  const t0 = performance.now();
  if (perf.lastRaf && t0 - perf.lastRaf < 1000) record(perf.gaps, t0 - perf.lastRaf);
  perf.lastRaf = t0;
  draw(t0);
  record(perf.draws, performance.now() - t0);
  perf.frames++;
  if (perf.frames % 30 === 0) showPerf();
  // Only while drones glide: an idle map costs nothing.
  if (glide(performance.now()) < 1 || dragging) request();
  else perf.lastRaf = 0;
}
function draw(now) {
  ctx.setTransform(view.dpr, 0, 0, view.dpr, 0, 0);
  ctx.fillStyle = '#eef2ef';
  ctx.fillRect(0, 0, view.W, view.H);
  drawTiles();
  if (show.zones) drawZones();
  if (show.deliveries) drawDeliveries(now);
  drawDrones(now);
  drawSelection();
}
function drawDrones(now) {
  const a = glide(now), f = fleet, W = view.W, H = view.H;
  const r = view.s > 256 * Math.pow(2, 15) ? 4 : view.s > 256 * Math.pow(2, 12) ? 3 : 2;
  for (let k = 0; k < STATES.length; k++) {
    const visible = show.states.has(STATES[k]);
    ctx.beginPath();
    let any = false;
    for (let o = f.starts[k]; o < f.starts[k + 1]; o++) {
      const i = f.order[o];
      const x = sxOf(f.px[i] + (f.x[i] - f.px[i]) * a), y = syOf(f.py[i] + (f.y[i] - f.py[i]) * a);
      f.sx[i] = visible ? x : NaN; f.sy[i] = y;
      if (!visible || x < -r || y < -r || x > W + r || y > H + r) continue;
      ctx.rect(x - r, y - r, 2 * r, 2 * r);
      any = true;
    }
    if (any) { ctx.fillStyle = COLOURS[STATES[k]]; ctx.fill(); }
  }
}
function drawZones() {
  for (const z of zones) {
    ctx.beginPath();
    z.pts.forEach((p, i) => (i ? ctx.lineTo(sxOf(p.x), syOf(p.y)) : ctx.moveTo(sxOf(p.x), syOf(p.y))));
    ctx.closePath();
    ctx.fillStyle = z.noFly ? 'rgba(220,38,38,0.13)' : 'rgba(37,99,235,0.07)';
    ctx.fill();
    ctx.setLineDash(z.noFly ? [] : [6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = z.noFly ? '#b91c1c' : '#1d4ed8';
    ctx.stroke();
    ctx.setLineDash([]);
    if (view.s > 256 * Math.pow(2, 11) && z.name) {
      ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillStyle = z.noFly ? '#7f1d1d' : '#1e3a8a';
      ctx.fillText(z.name, sxOf(z.pts[0].x) + 4, syOf(z.pts[0].y) - 4);
    }
  }
}
function dronePos(id, a) {
  const i = fleet.index.get(id);
  if (i === undefined) return null;
  return { x: sxOf(fleet.px[i] + (fleet.x[i] - fleet.px[i]) * a), y: syOf(fleet.py[i] + (fleet.y[i] - fleet.py[i]) * a) };
}
function drawDeliveries(now) {
  const a = glide(now);
  ctx.lineWidth = 1.5;
  for (const [status, colour, dash] of [['HeadedToPickup', '#4b5563', [4, 4]], ['HeadedToDropoff', '#c2410c', []]]) {
    ctx.beginPath();
    for (const d of deliveries) {
      if (d.status !== status || !d.droneId) continue;
      const p = dronePos(d.droneId, a);
      if (!p) continue;
      const to = status === 'HeadedToPickup' ? d.pickup : d.dropoff;
      ctx.moveTo(p.x, p.y);
      ctx.lineTo(sxOf(to.x), syOf(to.y));
    }
    ctx.setLineDash(dash);
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
  ctx.setLineDash([]);
  // Pickups (circles) and drop-offs (squares); a delivery still waiting for a drone has a filled amber pickup.
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (const d of deliveries) if (d.status !== 'Created') { const x = sxOf(d.pickup.x), y = syOf(d.pickup.y); ctx.moveTo(x + 4, y); ctx.arc(x, y, 4, 0, 2 * Math.PI); }
  ctx.fillStyle = '#ffffff'; ctx.fill(); ctx.strokeStyle = '#15803d'; ctx.stroke();
  ctx.beginPath();
  for (const d of deliveries) if (d.status === 'Created') { const x = sxOf(d.pickup.x), y = syOf(d.pickup.y); ctx.moveTo(x + 5, y); ctx.arc(x, y, 5, 0, 2 * Math.PI); }
  ctx.fillStyle = '#f59e0b'; ctx.fill(); ctx.strokeStyle = '#78350f'; ctx.stroke();
  ctx.beginPath();
  for (const d of deliveries) { const x = sxOf(d.dropoff.x), y = syOf(d.dropoff.y); ctx.rect(x - 4, y - 4, 8, 8); }
  ctx.fillStyle = '#ffffff'; ctx.fill(); ctx.strokeStyle = '#c2410c'; ctx.stroke();
}
function drawSelection() {
  if (!selected) return;
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#111827';
  if (selected.kind === 'drone') {
    const p = dronePos(selected.id, glide(performance.now()));
    if (p) { ctx.beginPath(); ctx.arc(p.x, p.y, 11, 0, 2 * Math.PI); ctx.stroke(); }
  } else {
    const d = deliveries.find((x) => x.id === selected.id) || selected.delivery;
    if (!d) return;
    ctx.beginPath();
    ctx.arc(sxOf(d.pickup.x), syOf(d.pickup.y), 10, 0, 2 * Math.PI);
    ctx.moveTo(sxOf(d.dropoff.x) + 10, syOf(d.dropoff.y));
    ctx.arc(sxOf(d.dropoff.x), syOf(d.dropoff.y), 10, 0, 2 * Math.PI);
    ctx.stroke();
  }
}
const tiles = new Map();
function drawTiles() {
  const b = CONFIG.basemap;
  if (!b) return;
  for (const t of basemapTiles(view, b.tiles)) {
    let img = tiles.get(t.key);
    if (!img) {
      img = new Image();
      img.onload = request;
      img.src = t.href;
      tiles.set(t.key, img);
      if (tiles.size > 400) tiles.delete(tiles.keys().next().value);
    }
    if (img.complete && img.naturalWidth) ctx.drawImage(img, t.x, t.y, t.size + 0.5, t.size + 0.5);
  }
}
function showPerf() {
  const sorted = perf.draws.slice().sort((a, b) => a - b);
  if (!sorted.length) return;
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const el = $('perf');
  el.dataset.p50 = q(0.5).toFixed(2);
  el.dataset.p95 = q(0.95).toFixed(2);
  el.dataset.frames = String(perf.frames);
  el.textContent = 'frame ' + q(0.5).toFixed(1) + ' ms (p95 ' + q(0.95).toFixed(1) + ' ms)';
}
/** For tests and bench/operator-map.ts: the figures behind the status bar. */
window.operatorMap = {
  stats() {
    return { draws: perf.draws.slice(), gaps: perf.gaps.slice(), ingest: perf.ingest.slice(), frames: perf.frames, fleetFrames: perf.fleetFrames, drones: fleet.n };
  },
  reset() { perf.draws = []; perf.gaps = []; perf.ingest = []; perf.frames = 0; perf.fleetFrames = 0; },
  /** Where drone \`id\` was last drawn, in CSS pixels of the canvas, or null. */
  screenOf(id) {
    const i = fleet.index.get(id);
    if (i === undefined) return null;
    const x = fleet.sx[i], y = fleet.sy[i];
    return Number.isNaN(x) || x < 0 || y < 0 || x >= view.W || y >= view.H ? null : { x, y };
  },
  deliveryAt(id) { const d = deliveries.find((x) => x.id === id); return d ? { x: sxOf(d.dropoff.x), y: syOf(d.dropoff.y) } : null; },
};

// ---- picking and details ----------------------------------------------------------
function pick(px, py) {
  let best = -1, bestD = 100; // within 10 px
  for (let i = 0; i < fleet.n; i++) {
    const dx = fleet.sx[i] - px, dy = fleet.sy[i] - py, d = dx * dx + dy * dy;
    if (d < bestD) { bestD = d; best = i; }
  }
  if (best >= 0) return { kind: 'drone', id: fleet.drones[best].id };
  if (!show.deliveries) return null;
  let found = null, fd = 144;
  for (const d of deliveries) for (const p of [d.pickup, d.dropoff]) {
    const dx = sxOf(p.x) - px, dy = syOf(p.y) - py, dd = dx * dx + dy * dy;
    if (dd < fd) { fd = dd; found = d; }
  }
  return found ? { kind: 'delivery', id: found.id } : null;
}
function select(sel) {
  selected = sel;
  if (!sel) { $('details').replaceChildren(hint()); announce('Nothing selected'); request(); return; }
  if (sel.kind === 'drone') showDrone(sel.id, true);
  else showDelivery(sel.id);
  request();
}
function hint() {
  const p = document.createElement('p');
  p.className = 'muted';
  p.textContent = 'Click a drone or a delivery (or find a drone by its id) for its details.';
  return p;
}
function announce(text) { $('announce').textContent = text; }
function row(dl, label, value) {
  const dt = document.createElement('dt'); dt.textContent = label;
  const dd = document.createElement('dd');
  if (value instanceof Node) dd.append(value); else dd.textContent = value;
  dl.append(dt, dd);
  return dd;
}
function showDrone(id, fresh) {
  const i = fleet.index.get(id);
  const box = $('details');
  if (i === undefined) { if (fresh) { box.replaceChildren(hint()); announce('Drone ' + id + ' is not in the fleet'); } return; }
  const d = fleet.drones[i];
  const h = document.createElement('h2'); h.textContent = 'Drone ' + d.id;
  const dl = document.createElement('dl');
  const state = d.lost && d.state !== 'failed' ? 'lost' : d.state;
  const sw = document.createElement('span'); sw.className = 'swatch'; sw.style.background = COLOURS[state];
  const st = document.createElement('span'); st.append(sw, LABELS[state] || state);
  row(dl, 'State', st).dataset.field = 'state';
  row(dl, 'Battery', Math.round(d.battery * 100) + ' %').dataset.field = 'battery';
  row(dl, 'Speed', d.speed.toFixed(1) + ' m/s');
  row(dl, 'Altitude', Math.round(d.alt) + ' m');
  row(dl, 'Heading', Math.round(d.heading) + '°');
  row(dl, 'Position', d.lat.toFixed(5) + ', ' + d.lon.toFixed(5));
  if (d.deliveryId) {
    const b = document.createElement('button'); b.type = 'button'; b.className = 'link'; b.textContent = d.deliveryId;
    b.addEventListener('click', () => select({ kind: 'delivery', id: d.deliveryId }));
    row(dl, 'Delivery', b).dataset.field = 'delivery';
  } else row(dl, 'Delivery', 'none');
  row(dl, 'Last report', clock.format(new Date(d.lastSeen)) + ' (event time)');
  box.replaceChildren(h, dl);
  box.dataset.kind = 'drone';
  box.dataset.id = d.id;
  if (fresh) announce('Selected drone ' + d.id + ', ' + (LABELS[state] || state) + ', battery ' + Math.round(d.battery * 100) + ' percent');
}
async function showDelivery(id) {
  const box = $('details');
  const h = document.createElement('h2'); h.textContent = 'Delivery ' + id;
  const wait = document.createElement('p'); wait.className = 'muted'; wait.textContent = 'Loading…';
  box.replaceChildren(h, wait);
  box.dataset.kind = 'delivery';
  box.dataset.id = id;
  let d;
  try { d = await api('/v1/deliveries/' + encodeURIComponent(id)); } catch (err) { wait.textContent = String(err.message || err); return; }
  if (!selected || selected.id !== id) return;
  selected.delivery = withWorld(d);
  const dl = document.createElement('dl');
  row(dl, 'Status', (STATUS_WORDS[d.status] || d.status) + ' (' + d.status + ')').dataset.field = 'status';
  if (d.droneId) {
    const b = document.createElement('button'); b.type = 'button'; b.className = 'link'; b.textContent = d.droneId;
    b.addEventListener('click', () => select({ kind: 'drone', id: d.droneId }));
    row(dl, 'Drone', b).dataset.field = 'drone';
  } else row(dl, 'Drone', 'none yet');
  row(dl, 'Pickup', d.pickup.lat.toFixed(5) + ', ' + d.pickup.lon.toFixed(5));
  row(dl, 'Drop-off', d.dropoff.lat.toFixed(5) + ', ' + d.dropoff.lon.toFixed(5));
  row(dl, 'Parcel', d.weightKg + ' kg');
  if (d.eta) row(dl, 'ETA', clock.format(new Date(d.eta.at)) + ' (event time)');
  if (d.history && d.history.length) {
    const last = d.history[d.history.length - 1];
    row(dl, 'Last event', last.type + (last.reason ? ': ' + last.reason : ''));
  }
  const link = document.createElement('button');
  link.type = 'button';
  link.textContent = 'Issue a tracking link';
  const out = document.createElement('p');
  out.className = 'link-out';
  link.addEventListener('click', async () => {
    link.disabled = true;
    try {
      const r = await api('/v1/deliveries/' + encodeURIComponent(id) + '/tracking-link', 'POST');
      const a = document.createElement('a');
      a.href = r.trackingPage; a.textContent = 'Tracking page'; a.target = '_blank'; a.rel = 'noopener noreferrer'; a.id = 'tracking-link';
      out.replaceChildren(a, ' (valid until ' + clock.format(new Date(r.expiresAt)) + ')');
    } catch (err) { out.textContent = String(err.message || err); }
    link.disabled = false;
  });
  box.replaceChildren(h, dl, link, out);
  announce('Selected delivery ' + id + ', ' + (STATUS_WORDS[d.status] || d.status));
}

// ---- REST ------------------------------------------------------------------------
async function api(path, method) {
  const res = await fetch(path, { method: method || 'GET', headers: KEY ? { authorization: 'Bearer ' + KEY } : {} });
  if (res.status === 401) { askKey('That key was not accepted.'); throw new Error('the API key was not accepted'); }
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body;
}
async function pages(path) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 20; i++) {
    const page = await api(path + (path.includes('?') ? '&' : '?') + 'limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return items;
}
function withWorld(d) {
  return { id: d.id, status: d.status, droneId: d.droneId,
    pickup: { lat: d.pickup.lat, lon: d.pickup.lon, x: wx(d.pickup.lon), y: wy(d.pickup.lat) },
    dropoff: { lat: d.dropoff.lat, lon: d.dropoff.lon, x: wx(d.dropoff.lon), y: wy(d.dropoff.lat) } };
}
async function loadZones() {
  try {
    zones = (await pages('/v1/zones')).map((z) => ({ id: z.id, name: z.name, noFly: z.noFly, pts: z.polygon.map((p) => ({ x: wx(p.lon), y: wy(p.lat) })) }));
    $('zone-count').textContent = nf.format(zones.length);
    autoFit();
    request();
  } catch (err) { console.warn('zones', err); }
}
async function loadDeliveries() {
  try {
    const all = [];
    for (const s of ACTIVE) all.push(...(await pages('/v1/deliveries?status=' + s)));
    deliveries = all.map(withWorld);
    $('delivery-count').textContent = nf.format(deliveries.length);
    $('delivery-count').dataset.count = String(deliveries.length);
    if (!view.deliveriesSeen) { view.deliveriesSeen = true; autoFit(); }
    request();
  } catch (err) { console.warn('deliveries', err); }
}

// ---- the fleet socket ---------------------------------------------------------------
let retry = 500, socket = null;
function connect() {
  // Behind a proxy the socket is where the operator said (--public-ws-url); otherwise this host, on the gateway's port.
  const base = CONFIG.wsBase || (location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.hostname + ':' + CONFIG.wsPort;
  const ws = new WebSocket(base + '/v1/fleet' + (KEY ? '?apiKey=' + encodeURIComponent(KEY) : ''));
  socket = ws;
  ws.onopen = () => { retry = 500; status('live', 'live'); };
  ws.onmessage = (e) => {
    const t0 = performance.now();
    try { const m = JSON.parse(e.data); if (m.type === 'fleet') ingest(m, t0); } catch (err) { console.error(err); }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    status('reconnecting…', 'reconnecting');
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 15000);
  };
}
function status(text, state) { $('conn').textContent = text; $('conn').dataset.state = state; }

// ---- the key ---------------------------------------------------------------------------
function askKey(message) {
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('key').focus();
}
async function start() {
  // A key in the fragment (#key=…) never reaches a server; take it, and take it out of the address bar.
  const m = /(?:^|[#&])key=([^&]+)/.exec(location.hash);
  if (m) { sessionStorage.setItem('dronefleet.apiKey', decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname + location.search); }
  KEY = sessionStorage.getItem('dronefleet.apiKey');
  const res = await fetch('/v1/zones?limit=1', { headers: KEY ? { authorization: 'Bearer ' + KEY } : {} });
  if (res.status === 401) return askKey(KEY ? 'That key was not accepted.' : '');
  $('login').hidden = true;
  connect();
  loadZones();
  loadDeliveries();
  setInterval(loadZones, 30000);
  setInterval(loadDeliveries, 5000);
}
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = $('key').value.trim();
  if (!key) return;
  const res = await fetch('/v1/zones?limit=1', { headers: { authorization: 'Bearer ' + key } });
  if (res.status === 401) return askKey('That key was not accepted.');
  sessionStorage.setItem('dronefleet.apiKey', key);
  $('key').value = '';
  start();
});

// ---- controls ------------------------------------------------------------------------------
for (const s of STATES) {
  $('show-' + s).addEventListener('change', (e) => { if (e.target.checked) show.states.add(s); else show.states.delete(s); request(); });
}
$('show-deliveries').addEventListener('change', (e) => { show.deliveries = e.target.checked; request(); });
$('show-zones').addEventListener('change', (e) => { show.zones = e.target.checked; request(); });
$('find').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $('find-id').value.trim();
  const i = fleet.index.get(id);
  if (i === undefined) { $('find-error').textContent = 'No drone ' + id + ' in the fleet.'; return; }
  $('find-error').textContent = '';
  moved();
  view.cx = fleet.x[i]; view.cy = fleet.y[i]; view.s = Math.max(view.s, 256 * Math.pow(2, 15));
  select({ kind: 'drone', id });
});
$('zoom-in').addEventListener('click', () => zoomAt(2, view.W / 2, view.H / 2));
$('zoom-out').addEventListener('click', () => zoomAt(0.5, view.W / 2, view.H / 2));
$('zoom-fit').addEventListener('click', () => { view.auto = true; fit(); request(); });
canvas.addEventListener('pointerdown', (e) => {
  canvas.setPointerCapture(e.pointerId);
  dragging = { x: e.offsetX, y: e.offsetY, moved: 0 };
});
canvas.addEventListener('pointermove', (e) => {
  if (!dragging) return;
  const dx = e.offsetX - dragging.x, dy = e.offsetY - dragging.y;
  dragging.moved += Math.abs(dx) + Math.abs(dy);
  dragging.x = e.offsetX; dragging.y = e.offsetY;
  pan(dx, dy);
});
canvas.addEventListener('pointerup', (e) => {
  const d = dragging;
  dragging = null;
  if (d && d.moved < 5) select(pick(e.offsetX, e.offsetY));
});
canvas.addEventListener('wheel', (e) => { e.preventDefault(); zoomAt(Math.exp(-e.deltaY * 0.0015), e.offsetX, e.offsetY); }, { passive: false });
canvas.addEventListener('keydown', (e) => {
  const step = 80;
  const keys = {
    ArrowLeft: () => pan(step, 0), ArrowRight: () => pan(-step, 0), ArrowUp: () => pan(0, step), ArrowDown: () => pan(0, -step),
    '+': () => zoomAt(1.5, view.W / 2, view.H / 2), '=': () => zoomAt(1.5, view.W / 2, view.H / 2), '-': () => zoomAt(1 / 1.5, view.W / 2, view.H / 2),
    '0': () => { view.auto = true; fit(); request(); }, Escape: () => select(null),
  };
  const f = keys[e.key];
  if (f) { e.preventDefault(); f(); }
});
function resize() {
  const r = $('stage').getBoundingClientRect();
  view.dpr = window.devicePixelRatio || 1;
  view.W = Math.max(200, Math.floor(r.width));
  view.H = Math.max(200, Math.floor(r.height));
  canvas.width = Math.round(view.W * view.dpr);
  canvas.height = Math.round(view.H * view.dpr);
  canvas.style.width = view.W + 'px';
  canvas.style.height = view.H + 'px';
  request();
}
new ResizeObserver(resize).observe($('stage'));
if (CONFIG.basemap && CONFIG.basemap.attribution) $('attribution').textContent = CONFIG.basemap.attribution;
$('details').replaceChildren(hint());
resize();
start();
`
