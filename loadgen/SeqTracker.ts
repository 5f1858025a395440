/**
 * Loss, duplicates and reordering from per-drone sequence numbers. Each
 * drone's seqs are remembered in a growable bitset, so a late arrival is
 * told from a duplicate exactly.
 */
export class SeqTracker {
  private readonly seen = new Map<string | number, { bits: Uint8Array; max: number }>()
  received = 0
  duplicates = 0
  reordered = 0

  /** Records one arrival of (drone, seq). */
  add(drone: string | number, seq: number): void {
    let s = this.seen.get(drone)
    if (!s) {
      s = { bits: new Uint8Array(64), max: -1 }
      this.seen.set(drone, s)
    }
    const byte = seq >>> 3
    if (byte >= s.bits.length) {
      const bigger = new Uint8Array(Math.max(byte + 1, s.bits.length * 2))
      bigger.set(s.bits)
      s.bits = bigger
    }
    const mask = 1 << (seq & 7)
    if ((s.bits[byte] as number) & mask) {
      this.duplicates++
      return
    }
    s.bits[byte] = (s.bits[byte] as number) | mask
    this.received++
    if (seq < s.max) this.reordered++
    else s.max = seq
  }

  /** Messages sent but never received. */
  lost(sent: number): number {
    return Math.max(0, sent - this.received)
  }
}
