import { showValue } from './errors.js'
import { polygonProblems, type LatLon } from './geo.js'
import { RegionRing } from './RegionRing.js'
import { regionsOverlap } from './regionsOverlap.js'
import { DEFAULT_REGION, REGION_ID } from './topics.js'

/**
 * Largest region accepted, m across: a metro area or a state. Far larger, a
 * straight edge on a latitude/longitude map strays from what people mean by
 * it, and one engine would own a continent.
 */
export const MAX_REGION_EXTENT_M = 2_000_000

/** A region as declared, not yet checked; a part left undefined failed an earlier check and is not judged again. */
export interface RegionDraft {
  id: string | undefined
  polygon: readonly LatLon[] | undefined
}

/** What is wrong, at a path within the list of regions (e.g. `[1, 'polygon', 3]`). */
export interface RegionProblem {
  path: Array<string | number>
  value: unknown
  message: string
}

/**
 * What is wrong with a list of regions (empty when nothing is): ids that are
 * not REGION_ID, repeated, or the reserved `default`; polygons that are not
 * proper rings (polygonProblems: closed or closable, no crossing edges, some
 * area), larger than MAX_REGION_EXTENT_M; and regions that overlap (sharing
 * an edge is fine). A scenario and a service's configuration both check
 * their `regions:` with it.
 */
export function regionProblems(regions: readonly RegionDraft[]): RegionProblem[] {
  const out: RegionProblem[] = []
  const seen = new Map<string, number>()
  const rings: Array<{ i: number; id: string; ring: RegionRing }> = []
  regions.forEach((r, i) => {
    const id = r.id
    if (id === undefined) {
      // Reported where it was found wanting.
    } else if (!REGION_ID.test(id))
      out.push({
        path: [i, 'id'],
        value: id,
        message: `must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit, got ${showValue(id)}`,
      })
    else if (id === DEFAULT_REGION)
      out.push({
        path: [i, 'id'],
        value: id,
        message: `"${DEFAULT_REGION}" is the region of a world without regions; name yours otherwise`,
      })
    else if (seen.has(id)) out.push({ path: [i, 'id'], value: id, message: `duplicate region id "${id}" (also regions[${seen.get(id)}])` })
    else seen.set(id, i)
    const polygon = r.polygon
    if (polygon === undefined) return
    const bad = polygonProblems(polygon, '', MAX_REGION_EXTENT_M)
    for (const b of bad) {
      const corner = /^\/(\d+)/.exec(b.field)
      out.push(
        corner
          ? { path: [i, 'polygon', Number(corner[1])], value: b.value, message: `corner ${corner[1]}: ${b.message}` }
          : { path: [i, 'polygon'], value: b.value, message: b.message },
      )
    }
    if (bad.length === 0) rings.push({ i, id: id ?? `regions[${i}]`, ring: new RegionRing(polygon) })
  })
  for (let a = 0; a < rings.length; a++) {
    for (let b = a + 1; b < rings.length; b++) {
      const [first, second] = [rings[a]!, rings[b]!]
      if (regionsOverlap(first.ring, second.ring))
        out.push({
          path: [second.i, 'polygon'],
          value: second.id,
          message: `overlaps region "${first.id}" (regions[${first.i}]); regions may share edges but not area`,
        })
    }
  }
  return out
}
