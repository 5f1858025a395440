import type { Store } from '../../store/Store.js'

/** Region → holder of its unexpired lease (membership rows left out). */
export async function regionOwners(store: Store): Promise<Map<string, string>> {
  const { now, leases } = await store.leases()
  return new Map(leases.filter((l) => !l.region.startsWith('@') && l.expiresAt > now).map((l) => [l.region, l.holder]))
}
