import t from 'tap'
import { readServeEnv } from '../cli/serveCommand.js'
import { basemapFromEnv, basemapOrigin, basemapProblem } from '../gateway/basemap.js'
import { resolveGatewayOptions } from '../gateway/gatewayOptions.js'

const base = { httpPort: 0, wsPort: 0, apiKey: null, trackingSecret: Buffer.from('s') }

t.test('no basemap unless one is configured', async (t) => {
  t.equal(resolveGatewayOptions(base).basemap, null)
  t.equal(basemapFromEnv({}), null)
  t.equal((await readServeEnv({})).gateway.basemap, undefined)
})

t.test('a tile URL template is checked, and its origin goes into the CSP', async (t) => {
  const tiles = 'https://tiles.example.org:8443/osm/{z}/{x}/{y}.png?key=public'
  t.equal(basemapProblem(tiles), undefined)
  t.equal(basemapOrigin({ tiles, attribution: '' }), 'https://tiles.example.org:8443')
  t.same(resolveGatewayOptions({ ...base, basemap: { tiles, attribution: '© OpenStreetMap contributors' } }).basemap, {
    tiles,
    attribution: '© OpenStreetMap contributors',
  })
  t.same((await readServeEnv({ DRONEFLEET_BASEMAP_URL: tiles, DRONEFLEET_BASEMAP_ATTRIBUTION: '© me' })).gateway.basemap, {
    tiles,
    attribution: '© me',
  })
  for (const [bad, why] of [
    ['tiles.example.org/{z}/{x}/{y}.png', /absolute http/],
    ['https://tiles.example.org/{z}/{x}.png', /with \{y\}/],
    ['https://tiles.example.org/{s}/{z}/{x}/{y}.png', /only placeholders are \{z\}, \{x\} and \{y\}/],
    ['file:///tmp/{z}/{x}/{y}.png', /http:\/\/ or https:\/\//],
    ['https://user:pw@tiles.example.org/{z}/{x}/{y}.png', /without credentials/],
  ] as const) {
    t.throws(() => resolveGatewayOptions({ ...base, basemap: { tiles: bad, attribution: '' } }), {
      code: 'DF_OPTION_INVALID',
      field: 'basemap.tiles',
      message: why,
    })
    await t.rejects(readServeEnv({ DRONEFLEET_BASEMAP_URL: bad }), {
      code: 'DF_FLAG_INVALID',
      field: 'DRONEFLEET_BASEMAP_URL',
      message: new RegExp(`^DRONEFLEET_BASEMAP_URL must be .*, got "${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"$`),
    })
  }
  await t.rejects(
    readServeEnv({ DRONEFLEET_BASEMAP_URL: 'https://t.example/{z}/{x}/{y}.png', DRONEFLEET_BASEMAP_ATTRIBUTION: 'x'.repeat(301) }),
    {
      code: 'DF_FLAG_INVALID',
      field: 'DRONEFLEET_BASEMAP_ATTRIBUTION',
    },
  )
})
