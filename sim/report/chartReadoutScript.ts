/**
 * The report's only script: the values under the pointer on every chart.
 * Plain browser JavaScript, inlined as written and allowed by its hash in
 * the report's Content-Security-Policy; it fetches nothing.
 *
 * Each `svg.chart` carries its columns in `data-readout` (svgCharts.ts).
 * Hovering shows the nearest column's values in a box beside a guide line;
 * from the keyboard a chart is a slider over its columns (Tab to it, arrow
 * keys, Home, End, Page Up/Down), whose value text is the same readout, so
 * a screen reader says it as it changes.
 */
export const CHART_READOUT_SCRIPT = `
(() => {
  const NS = 'http://www.w3.org/2000/svg';
  const KEYS = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -10, PageUp: 10 };
  for (const svg of document.querySelectorAll('svg.chart[data-readout]')) {
    const cols = JSON.parse(svg.dataset.readout);
    if (!cols.length) continue;
    const box = svg.parentElement.querySelector('.readout');
    const [top, bottom] = svg.dataset.plot.split(' ').map(Number);
    const width = svg.viewBox.baseVal.width;
    const title = svg.getAttribute('aria-label');
    const cursor = document.createElementNS(NS, 'g');
    cursor.setAttribute('class', 'cursor');
    cursor.setAttribute('visibility', 'hidden');
    const guide = document.createElementNS(NS, 'line');
    guide.setAttribute('y1', String(top));
    guide.setAttribute('y2', String(bottom));
    cursor.appendChild(guide);
    svg.appendChild(cursor);
    svg.setAttribute('tabindex', '0');
    svg.setAttribute('role', 'slider');
    svg.setAttribute('aria-label', title + ': values, with the arrow keys');
    svg.setAttribute('aria-valuemin', '0');
    svg.setAttribute('aria-valuemax', String(cols.length - 1));
    let at = -1;
    const text = (c) => c.label + ': ' + c.rows.map((r) => r[0] + ' ' + r[2]).join(', ');
    function show(i) {
      at = Math.max(0, Math.min(cols.length - 1, i));
      const c = cols[at];
      guide.setAttribute('x1', String(c.x));
      guide.setAttribute('x2', String(c.x));
      for (const dot of cursor.querySelectorAll('circle')) dot.remove();
      for (const [, colour, , y] of c.rows) {
        const dot = document.createElementNS(NS, 'circle');
        dot.setAttribute('cx', String(c.x));
        dot.setAttribute('cy', String(y));
        dot.setAttribute('r', '4');
        dot.setAttribute('fill', colour);
        cursor.appendChild(dot);
      }
      cursor.setAttribute('visibility', 'visible');
      const head = document.createElement('strong');
      head.textContent = c.label;
      const lines = c.rows.map(([name, colour, value]) => {
        const line = document.createElement('span');
        const key = document.createElement('i');
        key.style.background = colour;
        line.append(key, name + ' ', Object.assign(document.createElement('b'), { textContent: value }));
        return line;
      });
      box.replaceChildren(head, ...lines);
      box.hidden = false;
      // Beside the guide line, on whichever side has room; CSSOM, which the policy allows.
      const fig = svg.parentElement.getBoundingClientRect(), r = svg.getBoundingClientRect();
      const scale = r.width / width;
      const px = r.left - fig.left + c.x * scale;
      const right = c.x < width * 0.6;
      box.style.left = right ? px + 12 + 'px' : '';
      box.style.right = right ? '' : fig.width - px + 12 + 'px';
      box.style.top = r.top - fig.top + top * scale + 'px';
      svg.setAttribute('aria-valuenow', String(at));
      svg.setAttribute('aria-valuetext', text(c));
      svg.dataset.at = String(at);
    }
    function hide() {
      cursor.setAttribute('visibility', 'hidden');
      box.hidden = true;
    }
    svg.addEventListener('pointermove', (e) => {
      const r = svg.getBoundingClientRect();
      const x = ((e.clientX - r.left) * width) / r.width;
      let best = 0;
      for (let i = 1; i < cols.length; i++) if (Math.abs(cols[i].x - x) < Math.abs(cols[best].x - x)) best = i;
      show(best);
    });
    svg.addEventListener('pointerleave', () => { if (document.activeElement !== svg) hide(); });
    svg.addEventListener('focus', () => show(at < 0 ? cols.length - 1 : at));
    svg.addEventListener('blur', hide);
    svg.addEventListener('keydown', (e) => {
      if (e.key === 'Home') show(0);
      else if (e.key === 'End') show(cols.length - 1);
      else if (e.key in KEYS) show(at + KEYS[e.key]);
      else if (e.key === 'Escape') return hide();
      else return;
      e.preventDefault();
    });
  }
})();
`
