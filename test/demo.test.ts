import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { spawnCli } from './helpers/cli.js'

t.test('dronefleet demo: prints the URLs to open, they work, and Ctrl-C stops it cleanly', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'df-demo-'))
  t.teardown(() => rm(out, { recursive: true, force: true }))
  const demo = spawnCli(['demo', '--http-port', '0', '--ws-port', '0', '--mqtt-port', '0', '--speed', '20', '--out', out], {
    DRONEFLEET_API_KEY: '',
  })
  t.teardown(() => {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL')
  })
  const base = (await demo.waitFor(/open\s+(http:\/\/\S+)\//))[1]!
  const key = (await demo.waitFor(/api key\s+([0-9a-f]{32})/))[1]!
  t.match(demo.stdout(), /dronefleet demo: "demo", 30 drones at 3 depots, 20× real time/)

  // A tracking page per delivery, as the simulator's requests are accepted.
  const page = (await demo.waitFor(/tracking\s+(http:\/\/\S+\/track\/(\S+)\?token=\S+)/))[1]!
  t.ok(page.startsWith(`${base}/track/`), 'on the service printed above')
  const id = decodeURIComponent(new URL(page).pathname.split('/').at(-1)!)
  const html = await fetch(page)
  t.equal(html.status, 200, 'the tracking page opens with its link')
  t.match(await html.text(), id)
  const list = await fetch(`${base}/v1/deliveries`, { headers: { authorization: `Bearer ${key}` } })
  t.equal(list.status, 200, 'the printed key opens the operator API')
  t.ok(((await list.json()) as { items: unknown[] }).items.length >= 1, 'the simulator is making deliveries')
  t.match(await (await fetch(`${base}/metrics`)).text(), /^dronefleet_build_info\{/m)

  demo.child.kill('SIGINT')
  t.equal(await demo.exit, 0, `a clean stop (stderr: ${demo.stderr().slice(-300)})`)
  t.match(demo.stderr(), /stopping the demo/)
  t.match(demo.stdout(), /^stopped after .+ simulated: \d+ requested, \d+ completed, \d+ still in flight; results in /m)
  await access(join(out, 'results.json'))
  await t.rejects(fetch(`${base}/healthz`), 'nothing listens any more')
})
