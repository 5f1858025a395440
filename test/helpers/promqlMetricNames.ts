/**
 * The metric names a PromQL expression selects, for checking dashboards and
 * alert rules against /metrics. Not a full parser: it drops what cannot name a
 * metric (string literals, label matchers, ranges, Grafana variables, grouping
 * label lists, numbers and durations), then keeps every identifier that is
 * neither a keyword nor a function call.
 */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
])

export function promqlMetricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings (label values, regexes)
    .replace(/\$\{[^}]*\}|\$\w+/g, '1') // Grafana variables ($instance, ${datasource}, $__rate_interval)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ') // grouping clauses: `sum by (le) (x)` reads `sum (x)`
    .replace(/#[^\n]*/g, '') // comments
  // Numbers with their exponent or duration unit (0.99, 1e3, 5m) before identifiers, so "5m" leaves no "m".
  s = s.replace(/(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?[a-zA-Z]*/g, '0')
  const names = new Set<string>()
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = m[0]
    if (KEYWORDS.has(name.toLowerCase())) continue
    const after = s.slice((m.index ?? 0) + name.length)
    if (/^\s*\(/.test(after)) continue // a function: rate(, histogram_quantile(, sum(
    names.add(name)
  }
  return [...names]
}

/** A Grafana template query `label_values(EXPR, label)` or `query_result(EXPR)`: the PromQL inside; anything else as is. */
export function grafanaTemplateExpr(query: string): string {
  const lv = /^\s*label_values\(\s*(.*),\s*\w+\s*\)\s*$/s.exec(query)
  if (lv) return lv[1]!
  const qr = /^\s*query_result\(\s*(.*)\)\s*$/s.exec(query)
  return qr ? qr[1]! : query
}

/**
 * The series names a /metrics text exposes, from its TYPE lines (so a metric
 * with labels but no sample yet counts): a histogram exposes only `_bucket`,
 * `_sum` and `_count`, a summary itself, `_sum` and `_count`.
 */
export function exposedSeriesNames(text: string): Set<string> {
  const names = new Set<string>()
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const suffixes = type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['', '_sum', '_count'] : ['']
    for (const suffix of suffixes) names.add(`${name}${suffix}`)
  }
  return names
}
