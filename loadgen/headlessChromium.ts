import { chromium, type Browser } from 'playwright-core'

/** Debian's chromium, or DRONEFLEET_CHROMIUM. */
export const CHROMIUM = process.env.DRONEFLEET_CHROMIUM ?? '/usr/bin/chromium'

/**
 * Headless Chromium for page tests and the page benchmarks: no sandbox (root
 * in a container), no GPU, and no background traffic — the machine's network
 * is closed, and a page must be seen making only its own requests.
 */
export function headlessChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
