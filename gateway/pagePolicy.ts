import { basemapOrigin, type Basemap } from './basemap.js'

/**
 * The Content-Security-Policy of the gateway's own pages: their inline
 * script and style only by nonce, requests only where `connect` says,
 * images only from the operator's tile server (none without a basemap), no
 * frames, no forms posted anywhere, no base URL.
 */
export function pagePolicy(o: { nonce: string; connect: string; basemap: Basemap | null }): string {
  const img = o.basemap ? ` img-src ${basemapOrigin(o.basemap)};` : ''
  return (
    `default-src 'none'; script-src 'nonce-${o.nonce}'; style-src 'nonce-${o.nonce}';${img} connect-src ${o.connect}; ` +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
  )
}
