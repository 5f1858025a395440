/**
 * Resolves when `check` returns a value other than undefined, polling. It
 * waits for the event, not against a clock: on a busy machine a condition may
 * take several times longer than usual, and tap's per-file timeout bounds a
 * real hang. `ms` is how long it is normally expected to take: past it, and
 * every `ms` after, a notice on stderr names what is still awaited, so a hang
 * says where it hangs.
 */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, ms = 10_000, what = 'condition'): Promise<T> {
  const start = Date.now()
  let nextNotice = start + ms
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > nextNotice) {
      process.stderr.write(`# still waiting for ${what} after ${Math.round((Date.now() - start) / 1000)} s\n`)
      nextNotice += ms
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}
