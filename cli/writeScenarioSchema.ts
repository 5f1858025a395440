/**
 * Writes scenarios/scenario.schema.json from sim/scenarioSchema.ts, so the
 * file editors read is generated from the schema the loader uses.
 *   node dist/cli/writeScenarioSchema.js           write the file
 *   node dist/cli/writeScenarioSchema.js --check   exit 1 if it is out of date
 * test/scenario.test.ts fails when the committed file has drifted.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { scenarioSchemaJson } from '../sim/scenario/scenarioSchema.js'

/** From dist/cli/ (compiled) up to the repository's scenarios/ folder. */
export const SCHEMA_FILE = fileURLToPath(new URL('../../scenarios/scenario.schema.json', import.meta.url))

export async function writeScenarioSchema(check: boolean): Promise<number> {
  const json = scenarioSchemaJson()
  if (check) {
    const current = await readFile(SCHEMA_FILE, 'utf8').catch(() => '')
    if (current === json) return 0
    process.stderr.write(`${SCHEMA_FILE} is out of date; run node dist/cli/writeScenarioSchema.js\n`)
    return 1
  }
  await writeFile(SCHEMA_FILE, json)
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`)
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await writeScenarioSchema(process.argv.includes('--check'))
}
