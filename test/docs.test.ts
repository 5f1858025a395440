import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'
import { ROOT } from './helpers/cli.js'

/** Every Markdown file of the repository's documentation: the README, docs/ and each folder's README. */
function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', 'results', '.git'].includes(name) || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) markdownFiles(path, out)
    else if (name.endsWith('.md')) out.push(path)
  }
  return out
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)))
}

const files = markdownFiles(ROOT)

t.test('the documentation stands on its own: every link stays in the repository and leads somewhere', async (t) => {
  t.ok(files.length >= 10, `${files.length} Markdown files`)
  for (const file of files) {
    const name = relative(ROOT, file)
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
    t.notMatch(text, /DESIGN\.md|\.\.\/shared|\bthe issue\b/i, `${name} names nothing outside the repository`)
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(target!)) continue
      const [path, anchor] = target!.split('#') as [string, string | undefined]
      const to = path === '' ? file : resolve(dirname(file), path)
      t.notOk(relative(ROOT, to).startsWith('..'), `${name}: ${target} stays inside the repository`)
      t.ok(existsSync(to), `${name}: ${target} exists`)
      if (anchor && to.endsWith('.md') && existsSync(to))
        t.ok(anchors(to).has(anchor), `${name}: #${anchor} is a heading of ${relative(ROOT, to)}`)
    }
  }
})

t.test('the README links the architecture and the contract, and both have a diagram', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  for (const doc of ['docs/architecture.md', 'docs/contract.md']) {
    t.match(readme, `](${doc})`, `the README links ${doc}`)
    t.match(readFileSync(join(ROOT, doc), 'utf8'), /```mermaid\n/, `${doc} has a diagram`)
  }
  const contract = readFileSync(join(ROOT, 'docs/contract.md'), 'utf8')
  for (const topic of ['telemetry/{droneId}', 'commands/{droneId}', 'deliveries/{deliveryId}/events', 'requests', 'sim/clock'])
    t.match(contract, `\`${topic}\``, `the contract names ${topic}`)
  for (const code of readFileSync(join(ROOT, 'protocol/errors.ts'), 'utf8').matchAll(/^\s+[A-Z_]+: '(DF_[A-Z_]+)',$/gm))
    t.match(contract, code[1]!, `the contract lists ${code[1]}`)
})
