/**
 * Follows the MQTT packets in a byte stream by their fixed headers (type
 * byte, then the remaining length in 1-4 bytes of 7 bits) and reports the
 * first packet larger than the limit as soon as its header announces it,
 * before its body is read: aedes' parser would otherwise buffer a packet of
 * any announced size (up to 256 MB) before anyone looks at it.
 */
export class PacketSizeGuard {
  /** Body bytes of the current packet still to come. */
  private skip = 0
  /** -1 before a packet's type byte; then how many length bytes were read. */
  private lengthBytes = -1
  private length = 0
  private multiplier = 1

  /** `limit()` is asked per packet: it may change (smaller before authentication). */
  constructor(private readonly limit: () => number) {}

  /** Feeds the next bytes; returns the size of a packet over the limit (or a malformed length as Infinity), else 0. */
  feed(buf: Uint8Array): number {
    let i = 0
    while (i < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - i)
        this.skip -= n
        i += n
        continue
      }
      const b = buf[i++]!
      if (this.lengthBytes < 0) {
        this.lengthBytes = 0
        this.length = 0
        this.multiplier = 1
        continue
      }
      this.length += (b & 0x7f) * this.multiplier
      this.multiplier *= 128
      this.lengthBytes++
      if (b & 0x80) {
        if (this.lengthBytes >= 4) return Infinity
        continue
      }
      const size = 1 + this.lengthBytes + this.length
      if (size > this.limit()) return size
      this.skip = this.length
      this.lengthBytes = -1
    }
    return 0
  }
}
