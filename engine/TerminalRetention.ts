/**
 * Which ended deliveries may leave the engine's memory: each is kept
 * `retainMs` of event time after it ended (late requests still find it),
 * then dropped; the store keeps every delivery for good.
 */
export class TerminalRetention {
  private ids: string[] = []
  private ats: number[] = []
  private head = 0

  constructor(private readonly retainMs: number) {}

  ended(id: string, at: number): void {
    this.ids.push(id)
    this.ats.push(at)
  }

  /** The ids whose time is up at `now`, oldest first (event times only grow, up to small skews, so a queue suffices). */
  due(now: number): string[] {
    const out: string[] = []
    while (this.head < this.ids.length && this.ats[this.head]! + this.retainMs <= now) out.push(this.ids[this.head++]!)
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head)
      this.ats = this.ats.slice(this.head)
      this.head = 0
    }
    return out
  }
}
