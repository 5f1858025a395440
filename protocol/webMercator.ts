/**
 * The Web Mercator view every map of the project draws in (the tracking
 * page, the operator map, the run report), so that an operator's raster
 * tiles line up underneath. World units run 0..1 both ways (x east from
 * 180° W, y south from the top of the world); a view is its centre in world
 * units, its scale in pixels per world unit, and its size in pixels.
 *
 * These functions are self-contained on purpose: the pages paste their
 * source into their scripts (`basemapTiles.toString()`), the report calls
 * them as it renders. One definition for the three maps.
 */
export interface MercatorView {
  cx: number
  cy: number
  /** Pixels per world unit (256 · 2^zoom). */
  s: number
  W: number
  H: number
}

/** Where a basemap tile goes in a view, in its pixels; `key` is `z/x/y`. */
export interface PlacedTile {
  key: string
  href: string
  x: number
  y: number
  size: number
}

export function mercatorX(lon: number): number {
  return (lon + 180) / 360
}

export function mercatorY(lat: number): number {
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180)
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)
}

/**
 * The 256 px tiles of `template` ({z}, {x}, {y}) that cover a view, at the
 * zoom whose tiles come nearest 256 px on screen. x wraps round the
 * antimeridian (a view across it asks for the tiles of both sides); y stops
 * at the top and bottom of the world.
 */
export function basemapTiles(view: MercatorView, template: string): PlacedTile[] {
  const z = Math.max(0, Math.min(19, Math.round(Math.log2(view.s / 256))))
  const n = 2 ** z
  const size = view.s / n
  const x0 = Math.floor((view.cx - view.W / 2 / view.s) * n)
  const x1 = Math.floor((view.cx + view.W / 2 / view.s) * n)
  const y0 = Math.max(0, Math.floor((view.cy - view.H / 2 / view.s) * n))
  const y1 = Math.min(n - 1, Math.floor((view.cy + view.H / 2 / view.s) * n))
  const out: PlacedTile[] = []
  for (let x = x0; x <= x1; x++)
    for (let y = y0; y <= y1; y++) {
      const tx = ((x % n) + n) % n
      out.push({
        key: `${z}/${tx}/${y}`,
        href: template.replace('{z}', String(z)).replace('{x}', String(tx)).replace('{y}', String(y)),
        x: view.W / 2 + (x / n - view.cx) * view.s,
        y: view.H / 2 + (y / n - view.cy) * view.s,
        size,
      })
    }
  return out
}
