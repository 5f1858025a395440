/** An estimated arrival, ms since the epoch, with its P10–P90 window. */
export interface Eta {
  at: number
  p10: number
  p90: number
}
