/**
 * Small, dependency-free SVG charts for the self-contained report: a line
 * chart of one or more series and a histogram. Axes get a few rounded ticks;
 * everything is inline so the file opens anywhere, offline.
 *
 * Each chart carries its values, column by column, in `data-readout`
 * (x in the chart's pixels, a label, and each series' value and y there):
 * the report's script (chartReadoutScript.ts) shows them on hover and from
 * the keyboard. Without the script the charts still read as pictures.
 */
export interface Series {
  name: string
  colour: string
  points: Array<[x: number, y: number]>
  dashed?: boolean
}

export interface Axes {
  xLabel: string
  yLabel: string
  /** Formats an x tick (e.g. a clock time). */
  xTick?: (v: number) => string
  /** Names an x value in the readout (default: the tick's text). */
  xReadout?: (v: number) => string
  /** Appended to each value in the readout, e.g. " s" or " %". */
  yUnit?: string
  yMin?: number
  yMax?: number
}

const W = 640
const H = 260
const PAD = { l: 56, r: 12, t: 14, b: 40 }
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** One x position's values for the readout: x in the chart's pixels, its label, and per series [name, colour, value, y]. */
interface Column {
  x: number
  label: string
  rows: Array<[name: string, colour: string, value: string, y: number]>
}

/** A value as the readout shows it: whole numbers as they are, others to one decimal. */
const readoutValue = (v: number, unit = ''): string => `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`

/** About five round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / 5
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v * 1e9) / 1e9)
  return out
}

function frame(
  title: string,
  a: Axes,
  xs: [number, number],
  ys: [number, number],
  body: (x: (v: number) => number, y: (v: number) => number) => string,
  columns: (x: (v: number) => number, y: (v: number) => number) => Column[],
  legend = '',
): string {
  const [x0, x1] = xs[1] > xs[0] ? xs : [xs[0], xs[0] + 1]
  const [y0, y1] = ys[1] > ys[0] ? ys : [ys[0], ys[0] + 1]
  const x = (v: number): number => PAD.l + ((v - x0) / (x1 - x0)) * (W - PAD.l - PAD.r)
  const y = (v: number): number => H - PAD.b - ((v - y0) / (y1 - y0)) * (H - PAD.t - PAD.b)
  const fx = a.xTick ?? ((v: number) => String(v))
  const grid = [
    ...ticks(y0, y1).map(
      (v) =>
        `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/><text x="${PAD.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`,
    ),
    ...ticks(x0, x1).map((v) => `<text x="${x(v).toFixed(1)}" y="${H - PAD.b + 16}" text-anchor="middle">${esc(fx(v))}</text>`),
  ].join('')
  const readout = columns(x, y).map((c) => ({
    ...c,
    x: Math.round(c.x * 10) / 10,
    rows: c.rows.map(([n, k, v, py]) => [n, k, v, Math.round(py * 10) / 10]),
  }))
  return `<figure class="chartfig"><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" class="chart" data-readout="${esc(JSON.stringify(readout))}" data-plot="${PAD.t} ${H - PAD.b}">
${grid}<line x1="${PAD.l}" x2="${PAD.l}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="#888"/><line x1="${PAD.l}" x2="${W - PAD.r}" y1="${H - PAD.b}" y2="${H - PAD.b}" stroke="#888"/>
<text x="${(PAD.l + W - PAD.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(a.xLabel)}</text><text transform="translate(14 ${(PAD.t + H - PAD.b) / 2}) rotate(-90)" text-anchor="middle">${esc(a.yLabel)}</text>
${body(x, y)}</svg><div class="readout" aria-hidden="true" hidden></div>${legend}</figure>`
}

export function lineChart(title: string, series: Series[], a: Axes): string {
  const pts = series.flatMap((s) => s.points)
  if (pts.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="empty">no data</p></figure>`
  const xs: [number, number] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))]
  const ys: [number, number] = [a.yMin ?? Math.min(0, ...pts.map((p) => p[1])), a.yMax ?? Math.max(...pts.map((p) => p[1]))]
  const legend = `<p class="legend">${series
    .map(
      (s) =>
        `<span><svg width="22" height="10" viewBox="0 0 22 10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="${s.colour}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/></svg> ${esc(s.name)}</span>`,
    )
    .join(' ')}</p>`
  // One readout column per x any series has, with the value of each series that has one there.
  const xsAll = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b)
  const name = a.xReadout ?? a.xTick ?? ((v: number) => String(v))
  const columns = (x: (v: number) => number, y: (v: number) => number): Column[] => {
    const at = series.map((s) => new Map(s.points))
    return xsAll.map((v) => ({
      x: x(v),
      label: name(v),
      rows: series.flatMap((s, i) => {
        const value = at[i]!.get(v)
        return value === undefined ? [] : [[s.name, s.colour, readoutValue(value, a.yUnit), y(value)] as Column['rows'][number]]
      }),
    }))
  }
  return frame(
    title,
    a,
    xs,
    ys,
    (x, y) =>
      series
        .map(
          (s) =>
            `<polyline fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"/>`,
        )
        .join(''),
    columns,
    legend,
  )
}

/** Bars of `counts` over bins of width `binWidth` starting at `start`. */
export function histogram(title: string, counts: number[], start: number, binWidth: number, a: Axes, colour = '#457b9d'): string {
  if (counts.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="empty">no data</p></figure>`
  const xs: [number, number] = [start, start + counts.length * binWidth]
  const range = (k: number): string => `${start + k * binWidth}–${start + (k + 1) * binWidth} ${a.xLabel}`
  return frame(
    title,
    a,
    xs,
    [0, Math.max(1, ...counts)],
    (x, y) =>
      counts
        .map((c, k) => {
          const left = x(start + k * binWidth)
          const w = Math.max(1, x(start + (k + 1) * binWidth) - left - 1)
          return `<rect x="${left.toFixed(1)}" y="${y(c).toFixed(1)}" width="${w.toFixed(1)}" height="${(y(0) - y(c)).toFixed(1)}" fill="${colour}"><title>${esc(range(k))}: ${c}</title></rect>`
        })
        .join(''),
    (x, y) =>
      counts.map((c, k) => ({
        x: x(start + (k + 0.5) * binWidth),
        label: range(k),
        rows: [[a.yLabel, colour, readoutValue(c, a.yUnit), y(c)]],
      })),
  )
}
