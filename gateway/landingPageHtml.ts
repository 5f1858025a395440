import { escapeHtml } from './pageText.js'

/**
 * `/`: what this service is and where to go: the operator map, the API
 * documentation, the metrics and the health checks, with the service's
 * readiness (from /readyz, refreshed every few seconds). Inline CSS and a few
 * lines of script under the page's nonce; nothing from elsewhere.
 */
export interface LandingPageOptions {
  version: string
  /** CSP nonce for the inline script and style. */
  nonce: string
}

export function renderLandingPage(o: LandingPageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dronefleet</title>
<style nonce="${o.nonce}">${CSS}</style>
</head>
<body>
<main>
  <header>
    <h1>dronefleet <span class="version">${escapeHtml(o.version)}</span></h1>
    <p>A drone-delivery fleet simulator and telemetry engine: drones report over MQTT, the engine dispatches them and
    predicts arrivals, and customers follow their delivery live.</p>
    <p id="ready" class="ready" data-state="checking" role="status">Checking the service…</p>
  </header>
  <nav aria-label="Pages">
    <ul class="cards">
      <li><a href="/map"><strong>Operator map</strong><span>The whole fleet live, coloured by state, with zones and deliveries. Needs the API key.</span></a></li>
      <li><a href="/docs"><strong>API documentation</strong><span>Every REST route with its schemas; try them with the API key. The OpenAPI document is at <code>/docs/json</code>.</span></a></li>
      <li><a href="/metrics"><strong>Metrics</strong><span>Prometheus text: telemetry, deliveries, ETAs, sockets, the broker.</span></a></li>
      <li><a href="/readyz"><strong>Health</strong><span><code>/readyz</code>: connected and keeping up; <code>/healthz</code>: alive.</span></a></li>
    </ul>
  </nav>
  <section>
    <h2>Tracking a delivery</h2>
    <p>A customer follows a delivery on its tracking page, <code>/track/{id}?token=…</code>. The link comes back from
    <code>POST /v1/deliveries</code>; for a delivery created elsewhere (by the simulator, say),
    <code>POST /v1/deliveries/{id}/tracking-link</code> issues one.</p>
  </section>
</main>
<script nonce="${o.nonce}">
${SCRIPT}
</script>
</body>
</html>
`
}

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: #f3f4f6; line-height: 1.5; }
body { margin: 0; }
main { max-width: 860px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { margin: 0 0 8px; font-size: 2rem; }
.version { font-size: 1rem; font-weight: 500; color: #4b5563; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; }
.ready { display: inline-block; margin: 4px 0 8px; padding: 4px 10px; border-radius: 999px; background: #e5e7eb; color: #1f2937; font-weight: 600; }
.ready[data-state="ready"] { background: #dcfce7; color: #14532d; }
.ready[data-state="not-ready"] { background: #fee2e2; color: #7f1d1d; }
.cards { list-style: none; padding: 0; margin: 16px 0 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; }
.cards a { display: flex; flex-direction: column; gap: 4px; height: 100%; box-sizing: border-box; padding: 14px 16px; background: #fff;
  border: 1px solid #d1d5db; border-radius: 10px; color: #111827; text-decoration: none; }
.cards a:hover { border-color: #1d4ed8; }
.cards strong { color: #1d4ed8; font-size: 1.1rem; }
.cards span { color: #374151; }
code { background: #e5e7eb; padding: 0 4px; border-radius: 3px; font-size: .92em; }
:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
`

const SCRIPT = `
const el = document.getElementById('ready');
async function check() {
  try {
    const res = await fetch('/readyz', { cache: 'no-store' });
    const body = await res.json();
    if (res.ok) {
      el.dataset.state = 'ready';
      el.textContent = 'Ready · the engine is ' + Math.round(body.engineLagMs) + ' ms behind its input';
    } else {
      el.dataset.state = 'not-ready';
      el.textContent = 'Not ready: ' + (body.detail || res.statusText);
    }
  } catch (err) {
    el.dataset.state = 'not-ready';
    el.textContent = 'Not answering: ' + err.message;
  }
}
check();
setInterval(check, 5000);
`
