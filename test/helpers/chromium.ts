import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { CHROMIUM, headlessChromium } from '../../loadgen/headlessChromium.js'
import type { Test } from 'tap'

export { CHROMIUM }

/** Where page tests leave their screenshots for a reviewer (results/ is not committed). */
export const SCREENSHOTS = fileURLToPath(new URL('../../../results/screenshots/', import.meta.url))

/**
 * Headless Chromium for one test, closed when it ends; undefined (the test
 * skipped with a visible notice) when there is none, except under CI=true,
 * where a missing Chromium fails the test.
 */
export async function launchChromium(t: Test): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') {
      t.fail(`Chromium is missing at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium); .ci/run does`)
      return undefined
    }
    const why = `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`
    process.stderr.write(`\nNOTICE: ${why}; skipping the browser test\n`)
    t.comment(`NOTICE: ${why}; skipped`)
    t.skip(why, () => undefined)
    return undefined
  }
  const browser = await headlessChromium()

  t.teardown(() => browser.close())
  return browser
}

/** Collects script errors and CSP violations (they are console errors) of a page. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  return problems
}

/** Saves a screenshot as results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const path = `${SCREENSHOTS}${name}.png`
  await page.screenshot({ path, fullPage })
  return path
}
