import type { Logger } from 'pino'
import type { Store } from '../store/Store.js'

/** Membership rows share the leases table under this prefix: `@engine/{holder}`. */
export const MEMBER_PREFIX = '@engine/'

export interface RegionLeasesOptions {
  store: Store
  /** This engine's name among engines (unique: host and pid, or the pod's name). */
  holder: string
  /** Every region of the world; this engine holds its fair share of them. */
  regions: readonly string[]
  /** How long a lease lasts without renewal, ms. Default 6,000: three missed renewals. */
  ttlMs?: number
  /** How often leases are renewed and free regions looked for, ms. Default 2,000. */
  renewMs?: number
  /** A region was granted at `epoch`: start its engine (restoring it from the store). */
  gained: (region: string, epoch: number) => Promise<void>
  /** A region is no longer ours (lost, or handed over): stop its engine. Resolves once it stopped. */
  lost: (region: string) => Promise<void>
  logger?: Logger | undefined
}

/**
 * An engine's regions, held as leases in the store (DESIGN.md §1b): each
 * cycle renews what it holds (a renewal that comes back with another epoch,
 * or none, means the region was taken: its engine stops), takes free or
 * expired regions up to its fair share — ceil(regions / live engines), live
 * engines being those whose membership row is fresh — and hands one back
 * when it holds two more than the engine holding fewest, so engines balance
 * when one joins. A dead engine's leases expire after `ttlMs`, and
 * the next cycle of another takes its regions.
 */
export class RegionLeases {
  private readonly held = new Map<string, number>()
  private readonly ttlMs: number
  private readonly renewMs: number
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(private readonly o: RegionLeasesOptions) {
    this.ttlMs = o.ttlMs ?? 6_000
    this.renewMs = o.renewMs ?? 2_000
    if (!(this.renewMs * 2 < this.ttlMs)) throw new Error(`renewMs (${this.renewMs}) must be under half of ttlMs (${this.ttlMs})`)
  }

  /** Regions held now, with their epochs. */
  get regions(): ReadonlyMap<string, number> {
    return this.held
  }

  /** Runs a first cycle, then one every renewMs. */
  async start(): Promise<void> {
    await this.cycle()
    this.timer = setInterval(() => void this.cycle(), this.renewMs)
  }

  /** One cycle (cycles never overlap). */
  cycle(): Promise<void> {
    this.running = this.running.then(() => this.turn()).catch((err: unknown) => this.o.logger?.error({ err }, 'lease cycle failed'))
    return this.running
  }

  /** Stops every region's engine and gives its lease up, so another engine takes it at once. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.running
    for (const region of [...this.held.keys()]) await this.drop(region, true)
    await this.o.store.releaseLease(MEMBER_PREFIX + this.o.holder, this.o.holder).catch(() => undefined)
  }

  private async turn(): Promise<void> {
    if (this.stopped) return
    const { store, holder, regions } = this.o
    await store.lease(MEMBER_PREFIX + holder, holder, this.ttlMs)
    await this.renewHeld()
    const { now, leases } = await store.leases()
    const live = new Set(leases.filter((l) => l.region.startsWith(MEMBER_PREFIX) && l.expiresAt > now).map((l) => l.holder))
    live.add(holder)
    const fair = Math.ceil(regions.length / live.size)
    const holding = new Map<string, number>()
    for (const l of leases)
      if (!l.region.startsWith(MEMBER_PREFIX) && l.expiresAt > now) holding.set(l.holder, (holding.get(l.holder) ?? 0) + 1)
    // Two more than the engine that holds the fewest: one goes back (more follow on later cycles), so shares end within one.
    const least = Math.min(...[...live].filter((h) => h !== holder).map((h) => holding.get(h) ?? 0))
    if (this.held.size - least >= 2) {
      const region = [...this.held.keys()].at(-1) as string
      this.o.logger?.info({ region, held: this.held.size, fair }, 'handing a region over to balance the engines')
      await this.drop(region, true)
    }
    const taken = new Map(leases.filter((l) => l.expiresAt > now).map((l) => [l.region, l.holder]))
    for (const region of regions) {
      if (this.held.size >= fair) break
      if (this.held.has(region) || (taken.get(region) ?? holder) !== holder) continue
      const epoch = await store.lease(region, holder, this.ttlMs)
      if (epoch === undefined) continue
      this.held.set(region, epoch)
      this.o.logger?.info({ region, epoch }, 'took the lease of a region')
      try {
        await this.o.gained(region, epoch)
      } catch (err) {
        this.o.logger?.error({ err, region }, 'could not start the engine of a region: its lease is given up')
        this.held.delete(region)
        await store.releaseLease(region, holder).catch(() => undefined)
      }
      // Starting an engine takes a while (a decoder thread, a restore): what is held must not expire meanwhile.
      await this.renewHeld()
    }
  }

  /** Renews every lease held; one that comes back with another epoch is lost, and its engine stops. */
  private async renewHeld(): Promise<void> {
    const { store, holder } = this.o
    for (const [region, epoch] of [...this.held]) {
      const renewed = await store.lease(region, holder, this.ttlMs).catch(() => epoch)
      if (renewed !== epoch) {
        this.o.logger?.warn({ region, epoch, now: renewed ?? null }, 'lost the lease of a region: its engine stops')
        await this.drop(region, false)
      }
    }
  }

  private async drop(region: string, release: boolean): Promise<void> {
    this.held.delete(region)
    await this.o.lost(region).catch((err: unknown) => this.o.logger?.error({ err, region }, 'engine of a region failed to stop'))
    if (release) await this.o.store.releaseLease(region, this.o.holder).catch(() => undefined)
  }
}
