const trim = (v: number): string => String(Math.round(v * 10) / 10)

/**
 * A duration in seconds as a person reads it: "10 s", "42.5 s", "2 min",
 * "8 min 12 s", "1 h 5 min". Sub-minute values keep a tenth of a second;
 * longer ones are rounded to the second, and hours to the minute.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds)
  const sign = seconds < 0 ? '-' : ''
  const s = Math.abs(seconds)
  if (Math.round(s * 10) / 10 < 60) return `${sign}${trim(s)} s`
  const whole = Math.round(s)
  if (whole < 3600) {
    const m = Math.floor(whole / 60)
    const r = whole % 60
    return `${sign}${m} min${r ? ` ${r} s` : ''}`
  }
  const minutes = Math.round(whole / 60)
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  return `${sign}${h} h${m ? ` ${m} min` : ''}`
}
