import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ROOT, spawnCli } from './helpers/cli.js'
import { exposedSeriesNames, grafanaTemplateExpr, promqlMetricNames } from './helpers/promqlMetricNames.js'

/** Series Prometheus makes itself for every scrape target; the service cannot expose them. */
const FROM_PROMETHEUS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped'])

interface Rule {
  alert?: string
  record?: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
interface Panel {
  id: number
  type: string
  title: string
  gridPos: { x: number; y: number; w: number; h: number }
  targets?: Array<{ refId: string; expr: string }>
  panels?: Panel[]
}

const dashboard = JSON.parse(await readFile(join(ROOT, 'deploy/grafana/dronefleet.json'), 'utf8')) as {
  title: string
  uid: string
  schemaVersion: number
  panels: Panel[]
  templating: { list: Array<{ name: string; type: string; query: unknown }> }
}
const rulesFile = parse(await readFile(join(ROOT, 'deploy/prometheus/dronefleet-alerts.yml'), 'utf8')) as {
  groups: Array<{ name: string; interval?: string; rules: Rule[] }>
}

const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])
const dashboardExprs = [
  ...panels.flatMap((p) => (p.targets ?? []).map((x) => ({ where: `panel "${p.title}" ${x.refId}`, expr: x.expr }))),
  ...dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const q = v.query as string | { query: string }
      return { where: `variable $${v.name}`, expr: grafanaTemplateExpr(typeof q === 'string' ? q : q.query) }
    }),
]
const ruleExprs = rulesFile.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })))

t.test('the metric-name reader finds names, not functions, labels, variables or durations', async (t) => {
  t.same(
    promqlMetricNames(
      'histogram_quantile(0.99, sum by (le, route) (rate(dronefleet_http_request_duration_seconds_bucket{instance=~"$instance",route="/x"}[$__rate_interval])))',
    ),
    ['dronefleet_http_request_duration_seconds_bucket'],
  )
  t.same(
    promqlMetricNames(
      'sum without (status) (delta(a_total{status="Failed"}[15m] offset 5m)) / on (instance) group_left clamp_min(b_total, 1) > 0.05',
    ),
    ['a_total', 'b_total'],
  )
  t.same(promqlMetricNames('nodejs_eventloop_lag_p99_seconds > 1e3 and up == 0'), ['nodejs_eventloop_lag_p99_seconds', 'up'])
  t.same(grafanaTemplateExpr('label_values(dronefleet_build_info, instance)'), 'dronefleet_build_info')
  const exposed = exposedSeriesNames('# TYPE h histogram\nh_bucket{le="1"} 0\n# TYPE c_total counter\n# TYPE g gauge\ng 1\n')
  t.same([...exposed].sort(), ['c_total', 'g', 'h_bucket', 'h_count', 'h_sum'], 'a histogram is only its _bucket, _sum and _count')
})

t.test('the alert rules file has the shape Prometheus loads', async (t) => {
  t.ok(Array.isArray(rulesFile.groups) && rulesFile.groups.length > 0, 'groups')
  const alerts = new Set<string>()
  for (const g of rulesFile.groups) {
    t.type(g.name, 'string', 'each group has a name')
    t.ok(Array.isArray(g.rules) && g.rules.length > 0, `group ${g.name} has rules`)
    for (const r of g.rules) {
      const name = r.alert ?? r.record
      t.ok((r.alert === undefined) !== (r.record === undefined), `${name}: exactly one of alert or record`)
      t.same(
        Object.keys(r).filter((k) => !['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k)),
        [],
        `${name}: no unknown keys`,
      )
      t.ok(typeof r.expr === 'string' && r.expr.trim() !== '', `${name}: an expression`)
      if (r.for !== undefined) t.match(r.for, /^(\d+(ms|s|m|h|d|w|y))+$/, `${name}: for is a duration`)
      if (r.alert) {
        t.notOk(alerts.has(r.alert), `${r.alert} is named once`)
        alerts.add(r.alert)
        t.ok(['warning', 'critical'].includes(r.labels?.severity ?? ''), `${r.alert}: severity warning or critical`)
        t.type(r.annotations?.summary, 'string', `${r.alert}: a summary`)
        t.type(r.annotations?.description, 'string', `${r.alert}: a description`)
      }
      let depth = 0
      for (const c of r.expr) {
        depth += c === '(' ? 1 : c === ')' ? -1 : 0
        if (depth < 0) break
      }
      t.equal(depth, 0, `${name}: balanced parentheses`)
    }
  }
  // What operators asked to be told about, each by at least one rule.
  const exprs = ruleExprs.map((r) => r.expr).join('\n')
  for (const [what, metric] of [
    ['engine lag', 'dronefleet_engine_lag_seconds'],
    ['drones lost', 'dronefleet_drones_lost_total'],
    ['deliveries failing', 'dronefleet_deliveries'],
    ['broker down', 'dronefleet_broker_connected'],
    ['shed load', 'dronefleet_deliveries_shed_total'],
  ])
    t.ok(promqlMetricNames(exprs).includes(metric as string), `an alert on ${what} (${metric})`)
})

t.test('the Grafana dashboard has the shape Grafana imports', async (t) => {
  t.equal(dashboard.uid, 'dronefleet')
  t.type(dashboard.title, 'string')
  t.ok(dashboard.schemaVersion >= 30, 'a current schema version')
  const ids = panels.map((p) => p.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  for (const p of panels) {
    const g = p.gridPos
    t.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `panel "${p.title}" fits the 24-column grid`)
    if (p.type !== 'row') t.ok((p.targets ?? []).length > 0, `panel "${p.title}" has a query`)
  }
  // No two panels overlap.
  const boxes = panels.map((p) => p.gridPos)
  let overlaps = 0
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!
      const b = boxes[j]!
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps++
    }
  t.equal(overlaps, 0, 'no panels overlap')
})

t.test('every metric the dashboard and the alert rules name is one the running service exposes', async (t) => {
  const data = await mkdtemp(join(tmpdir(), 'df-deploy-'))
  const serve = spawnCli(['serve', '--http-port', '0', '--ws-port', '0', '--mqtt-port', '0', '--data', data, '--api-key', 'k'], {
    DRONEFLEET_LOG: 'warn',
  })
  t.teardown(async () => {
    serve.child.kill('SIGTERM')
    await serve.exit
    await rm(data, { recursive: true, force: true })
  })
  const api = (await serve.waitFor(/http\s+(http:\/\/\S+)/))[1]!
  const res = await fetch(`${api}/metrics`)
  t.equal(res.status, 200)
  const exposed = exposedSeriesNames(await res.text())
  t.ok(exposed.size > 50, `the service exposes ${exposed.size} series names`)
  const used = [...dashboardExprs, ...ruleExprs]
  t.ok(dashboardExprs.length > 20 && ruleExprs.length >= 5, `${dashboardExprs.length} dashboard and ${ruleExprs.length} rule expressions`)
  for (const { where, expr } of used) {
    const names = promqlMetricNames(expr)
    t.ok(names.length > 0, `${where} names a metric`)
    for (const name of names) t.ok(exposed.has(name) || FROM_PROMETHEUS.has(name), `${where}: ${name}`)
  }
})
