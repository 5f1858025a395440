import type { Logger } from 'pino'
import type { DroneCommand } from '../../protocol/commands.js'
import { ErrorCodes } from '../../protocol/errors.js'
import type { DeliveryEvent } from '../../protocol/events.js'
import type { LoggedEvent, Store, Writer } from '../../store/Store.js'

export interface OutboxOptions {
  store: Store
  writer: Writer
  /** The engine's blob for an open delivery at the end of the turn (JSON), undefined once it ended. */
  state: (deliveryId: string) => string | undefined
  /** Publishes a logged event (with its seq); resolves once the broker acknowledged it. */
  sendEvent: (e: DeliveryEvent & { seq: number }) => Promise<void>
  sendCommand: (c: DroneCommand) => void
  logger: Logger | undefined
}

interface Turn {
  events: DeliveryEvent[]
  commands: DroneCommand[]
}

/**
 * The engine's decisions on their way out when it has a store (DESIGN.md
 * §1b, store/README.md "The order of things"): what the core emits during a
 * loop turn is gathered; at the end of the turn each event is appended to the
 * store with the delivery's engine state, and only once those appends are
 * committed are the events published with their seq, then the turn's
 * commands (a drone never acts on a decision the store could forget), then
 * the events are marked published. Turns go out in order.
 *
 * Fenced (another engine took the region): it stops publishing for good and
 * says so loudly; this engine's decisions are no longer the region's.
 */
export class Outbox {
  private turn: Turn | null = null
  private tail: Promise<void> = Promise.resolve()
  private fenced_ = false

  constructor(private readonly o: OutboxOptions) {}

  get fenced(): boolean {
    return this.fenced_
  }

  event(e: DeliveryEvent): void {
    this.current().events.push(e)
  }

  command(c: DroneCommand): void {
    this.current().commands.push(c)
  }

  /**
   * Runs `fn` once everything decided so far has gone out: after the turn
   * being gathered is flushed (setImmediate runs in order) and every turn
   * before it. The lockstep's watermark goes this way, so the simulator
   * never flies a tick before the commands decided in the last one arrive.
   */
  after(fn: () => void): void {
    setImmediate(() => {
      // Never a rejected tail: every later turn waits on it.
      this.tail = this.tail.then(() => {
        try {
          fn()
        } catch (err) {
          this.o.logger?.error({ err }, 'engine failed after sending its decisions')
        }
      })
    })
  }

  /** Resolves once every turn gathered so far went out (or was dropped). */
  drained(): Promise<void> {
    return this.tail
  }

  /** Publishes logged events again (recovery: `unpublished()`), in order, then marks them published. */
  republish(logged: readonly LoggedEvent[]): Promise<void> {
    this.tail = this.tail.then(async () => {
      if (this.fenced_ || logged.length === 0) return
      await this.send(logged)
    })
    return this.tail
  }

  private current(): Turn {
    if (this.turn) return this.turn
    const turn: Turn = (this.turn = { events: [], commands: [] })
    // The end of this loop turn: everything the core decided in it is gathered.
    setImmediate(() => this.flush(turn))
    return turn
  }

  private flush(turn: Turn): void {
    this.turn = null
    if (this.fenced_) return
    const { store, writer } = this.o
    // Each delivery's state once, with its last event of the turn; a mission sent without an event (the next delivery started) is saved alone.
    const last = new Map<string, number>()
    turn.events.forEach((e, i) => last.set(e.deliveryId, i))
    const appends = turn.events.map((e, i) =>
      store.append(writer, e, last.get(e.deliveryId) === i ? this.o.state(e.deliveryId) : undefined),
    )
    const saves: Array<Promise<void>> = []
    for (const c of turn.commands) {
      if (c.type !== 'AssignDelivery' || last.has(c.deliveryId)) continue
      const s = this.o.state(c.deliveryId)
      if (s !== undefined) saves.push(store.saveEngineState(writer, c.deliveryId, s))
      last.set(c.deliveryId, -1)
    }
    const committed = Promise.all([Promise.allSettled(appends), Promise.allSettled(saves)])
    this.tail = this.tail.then(async () => {
      const [appended, saved] = await committed
      const logged: LoggedEvent[] = []
      for (const r of [...appended, ...saved]) {
        if (r.status === 'rejected') this.refused(r.reason)
        else if (r.value) logged.push(r.value)
      }
      if (this.fenced_) return
      const sent = this.send(logged)
      // Commands after the events that explain them were committed (and handed to the broker, in order).
      for (const c of turn.commands) this.o.sendCommand(c)
      await sent
    })
  }

  private async send(logged: readonly LoggedEvent[]): Promise<void> {
    const acked = await Promise.allSettled(logged.map((l) => this.o.sendEvent({ ...l.event, seq: l.seq })))
    const done = logged.filter((_, i) => acked[i]!.status === 'fulfilled').map((l) => l.pos)
    if (done.length < logged.length)
      this.o.logger?.warn(
        { failed: logged.length - done.length },
        'delivery events not acknowledged by the broker: they stay in the outbox and go out again at the next start',
      )
    if (done.length > 0)
      await this.o.store
        .markPublished(done)
        .catch((err: unknown) => this.o.logger?.error({ err }, 'could not mark delivery events published'))
  }

  private refused(err: unknown): void {
    if ((err as { code?: unknown } | null)?.code === ErrorCodes.STORE_FENCED) {
      if (!this.fenced_)
        this.o.logger?.error(
          { err, region: this.o.writer.region, epoch: this.o.writer.epoch },
          'FENCED: another engine took this region; this engine publishes nothing from now on',
        )
      this.fenced_ = true
      return
    }
    // Not committed, so not published: the read model misses it until the delivery's next event. Its commands still go out (the drone must act on what the engine decided).
    this.o.logger?.error({ err }, 'a delivery event could not be committed to the store')
  }
}
