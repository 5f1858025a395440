import { readFileSync } from 'node:fs'

/** dronefleet's version, from package.json: `--version`, the OpenAPI document and `dronefleet_build_info` all say the same. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version
