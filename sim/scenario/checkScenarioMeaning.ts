/**
 * Checks that need more than one field of a scenario (ids unique, depots near
 * the area, weights within the payload, faults that fit their type, zones
 * that are proper polygons with no depot or pickup inside, regions that are
 * proper, apart, and hold every depot and pickup). Each is
 * skipped when a field it needs already failed, so one mistake gives one
 * message.
 */
import { MAX_DRONES } from '../../protocol/bounds.js'
import { continuousLons, haversineM, polygonProblems, wrapLon, type LatLon, type Zone } from '../../protocol/geo.js'
import { RegionMap } from '../../protocol/RegionMap.js'
import { regionProblems } from '../../protocol/regionProblems.js'
import { REGION_ID } from '../../protocol/topics.js'
import { FleetState } from '../FleetState.js'
import { DEFAULT_PROFILE } from '../../protocol/profile.js'
import { valueAt } from './checkStructure.js'
import { noFlyZoneAt } from '../noFlyZoneAt.js'
import { isRecord } from './scenarioParsers.js'
import type { DroneSelection, FaultType } from './Scenario.js'
import { DEFAULT_TICK_S, DEFAULT_WEIGHT_KG, MAX_DEPOT_DISTANCE_M } from './scenarioDefaults.js'
import type { Path } from './schemaAt.js'

export interface IssueSink {
  add(path: Path, value: unknown, message: string, at?: 'value' | 'key' | 'parent'): void
}

/** The keys each fault type needs, and those it takes besides type, at and drones. */
const FAULT_KEYS: Record<FaultType, { needs: string[]; takes: string[] }> = {
  droneFailure: { needs: [], takes: [] },
  gpsNoise: { needs: ['sigma'], takes: ['sigma', 'for'] },
  gpsDropout: { needs: [], takes: ['for'] },
  telemetryLoss: { needs: ['fraction'], takes: ['fraction', 'for'] },
  telemetryDelay: { needs: ['delay'], takes: ['delay', 'for'] },
  batteryDrain: { needs: ['factor'], takes: ['factor', 'for'] },
  brokerOutage: { needs: ['for'], takes: ['for'] },
}
const FAULT_OPTIONAL = ['for', 'sigma', 'fraction', 'delay', 'factor']

/** The center depots and hotspots are checked against: the circle's, or the polygon's vertex mean. */
export function areaCenter(area: { center?: LatLon; polygon?: LatLon[] }): LatLon | undefined {
  if (area.center) return area.center
  const ring = area.polygon
  if (!ring || ring.length === 0 || ring.some((p) => !p)) return undefined
  // Longitudes unwrapped along the ring: the mean of 179.9° and -179.9° is 180°, not 0°.
  const lons = continuousLons(ring)
  return { lat: ring.reduce((s, p) => s + p.lat, 0) / ring.length, lon: wrapLon(lons.reduce((s, lon) => s + lon, 0) / ring.length) }
}

export function checkMeaning(data: unknown, raw: unknown, issues: IssueSink): void {
  const num = (path: Path, dflt?: number): number | undefined => {
    const v = valueAt(data, path)
    return v === undefined && valueAt(raw, path) === undefined ? dflt : typeof v === 'number' ? v : undefined
  }
  const area = valueAt(data, ['demand', 'area'])
  const rawArea = valueAt(raw, ['demand', 'area'])
  let center: LatLon | undefined
  if (isRecord(area) && isRecord(rawArea)) {
    const circle = 'center' in rawArea || 'radius' in rawArea
    if (circle && 'polygon' in rawArea)
      issues.add(['demand', 'area', 'polygon'], 'polygon', 'give either center and radius (a circle) or polygon, not both', 'key')
    else if (!circle && !('polygon' in rawArea))
      issues.add(['demand', 'area'], rawArea, 'needs center and radius (a circle) or polygon (a list of corners)')
    else if (circle && !('radius' in rawArea))
      issues.add(['demand', 'area', 'radius'], undefined, 'missing required key "radius" (a circle needs center and radius)', 'parent')
    else if (circle && !('center' in rawArea))
      issues.add(['demand', 'area', 'center'], undefined, 'missing required key "center" (a circle needs center and radius)', 'parent')
    else center = areaCenter(area as { center?: LatLon; polygon?: LatLon[] })
  }
  const far = (path: Path, p: unknown, what: string): void => {
    if (!center || !isRecord(p)) return
    const m = haversineM(p.lat as number, p.lon as number, center.lat, center.lon)
    if (m > MAX_DEPOT_DISTANCE_M) {
      issues.add(
        path,
        valueAt(raw, path),
        `is ${(m / 1000).toFixed(1)} km from the demand area's center; ${what} must be within ${MAX_DEPOT_DISTANCE_M / 1000} km`,
      )
    }
  }
  const depots = valueAt(data, ['depots'])
  let fleet = NaN
  if (Array.isArray(depots)) {
    const seen = new Map<unknown, number>()
    let total = 0
    for (const [i, d] of depots.entries()) {
      if (!isRecord(d)) {
        total = NaN
        continue
      }
      const first = seen.get(d.id)
      if (typeof d.id === 'string' && first !== undefined) {
        issues.add(['depots', i, 'id'], d.id, `duplicate depot id "${d.id}" (also depots[${first}])`)
      } else seen.set(d.id, i)
      // NaN when a count is bad, so "0 drones in total" is only said when it is true.
      total += Number.isInteger(d.drones) && (d.drones as number) >= 0 ? (d.drones as number) : NaN
      far(['depots', i, 'position'], d.position, 'a depot')
    }
    if (total === 0 && depots.length > 0) issues.add(['depots'], 0, 'the depots have 0 drones in total; at least one is needed')
    if (total > MAX_DRONES) {
      const gb = (FleetState.bytes(total) / 1e9).toFixed(1)
      issues.add(
        ['depots'],
        total,
        `the depots have ${total} drones in total; at most ${MAX_DRONES} fit (the simulator's fleet state alone would need ${gb} GB, the engine as much again)`,
      )
    }
    fleet = total
  }
  const zones = checkZones(data, raw, issues)
  const regions = checkRegions(data, raw, issues)
  // A depot's drones, and the requests picked up there, belong to the region that holds it: it must lie in one.
  const inRegion = (path: Path, p: unknown, what: string): void => {
    if (!regions?.named || !isRecord(p) || typeof p.lat !== 'number' || typeof p.lon !== 'number') return
    if (regions.regionOf(p.lat, p.lon) === undefined)
      issues.add(path, valueAt(raw, path), `lies outside every region (${regions.ids.join(', ')}); ${what}`)
  }
  if (Array.isArray(depots))
    depots.forEach((d, i) =>
      inRegion(['depots', i, 'position'], isRecord(d) ? d.position : undefined, "a depot's drones belong to the region that holds it"),
    )
  // The gateway refuses a request whose pickup lies in a no-fly zone; a hotspot there would draw drop-offs it refuses.
  const inZone = (path: Path, p: unknown, what: string): void => {
    const z = isRecord(p) && typeof p.lat === 'number' && typeof p.lon === 'number' ? noFlyZoneAt(zones, p as unknown as LatLon) : undefined
    if (z) issues.add(path, valueAt(raw, path), `lies inside no-fly zone "${z.id}"; ${what}`)
  }
  if (Array.isArray(depots))
    depots.forEach((d, i) =>
      inZone(['depots', i, 'position'], isRecord(d) ? d.position : undefined, 'a depot must be outside every no-fly zone'),
    )
  const pickups = valueAt(data, ['demand', 'pickups'])
  if (Array.isArray(pickups))
    pickups.forEach((p, i) =>
      inRegion(['demand', 'pickups', i, 'position'], isRecord(p) ? p.position : undefined, 'a request belongs to the region of its pickup'),
    )
  if (Array.isArray(pickups))
    pickups.forEach((p, i) =>
      inZone(
        ['demand', 'pickups', i, 'position'],
        isRecord(p) ? p.position : undefined,
        'the gateway would refuse every request picked up there',
      ),
    )
  const hotspots = valueAt(data, ['demand', 'hotspots'])
  if (Array.isArray(hotspots))
    hotspots.forEach((h, i) =>
      inZone(
        ['demand', 'hotspots', i, 'center'],
        isRecord(h) ? h.center : undefined,
        'move the hotspot out of it (drop-offs are drawn outside no-fly zones)',
      ),
    )
  for (const key of ['hotspots', 'pickups'] as const) {
    const list = valueAt(data, ['demand', key])
    if (Array.isArray(list))
      list.forEach((h, i) =>
        far(
          ['demand', key, i, key === 'hotspots' ? 'center' : 'position'],
          isRecord(h) ? h[key === 'hotspots' ? 'center' : 'position'] : undefined,
          key === 'hotspots' ? 'a hotspot' : 'a pickup',
        ),
      )
  }
  const wMin = num(['demand', 'weight', 'min'], DEFAULT_WEIGHT_KG.min)
  const wMax = num(['demand', 'weight', 'max'], DEFAULT_WEIGHT_KG.max)
  if (wMin !== undefined && wMax !== undefined && wMin > wMax) {
    issues.add(
      ['demand', 'weight', 'min'],
      valueAt(raw, ['demand', 'weight', 'min']),
      `must not exceed weight.max (${wMax} kg), got ${wMin} kg`,
    )
  }
  const maxPayload = num(['drone', 'maxPayload'], DEFAULT_PROFILE.maxPayloadKg)
  if (wMax !== undefined && maxPayload !== undefined && wMax > maxPayload) {
    issues.add(
      ['demand', 'weight', 'max'],
      valueAt(raw, ['demand', 'weight', 'max']) ?? wMax,
      `heaviest package ${wMax} kg exceeds drone.maxPayload ${maxPayload} kg; no drone could carry it`,
    )
  }
  const tick = num(['tick'], DEFAULT_TICK_S)
  const duration = num(['duration'])
  if (tick !== undefined && duration !== undefined && tick > duration) {
    issues.add(['tick'], valueAt(raw, ['tick']) ?? tick, `must not exceed duration (${duration} s), got ${tick} s`)
  }
  const phases = valueAt(data, ['demand', 'phases'])
  if (Array.isArray(phases)) {
    let prev = -Infinity
    phases.forEach((ph, i) => {
      const at = isRecord(ph) ? ph.at : undefined
      if (typeof at !== 'number') return
      if (at <= prev)
        issues.add(
          ['demand', 'phases', i, 'at'],
          valueAt(raw, ['demand', 'phases', i, 'at']),
          `phases must be in time order; ${at} s is not after the previous phase (${prev} s)`,
        )
      else if (duration !== undefined && at >= duration)
        issues.add(
          ['demand', 'phases', i, 'at'],
          valueAt(raw, ['demand', 'phases', i, 'at']),
          `starts at ${at} s, not before the end of the run (${duration} s)`,
        )
      prev = Math.max(prev, at)
    })
  }
  const faults = valueAt(data, ['faults'])
  if (Array.isArray(faults))
    faults.forEach((f, i) => {
      if (isRecord(f)) checkFault(f, i, raw, duration, fleet, issues)
    })
  checkWorld(data, raw, issues)
}

/** `world` keys that would do nothing: an error of a calm forecast, a wait for a customer who is never absent. */
function checkWorld(data: unknown, raw: unknown, issues: IssueSink): void {
  const error = valueAt(data, ['world', 'wind', 'forecastError'])
  const speed = valueAt(data, ['wind', 'speed'])
  // A speed that failed to parse was reported already.
  const calm = valueAt(raw, ['wind', 'speed']) === undefined || speed === 0
  if (typeof error === 'number' && error > 0 && calm)
    issues.add(
      ['world', 'wind', 'forecastError'],
      valueAt(raw, ['world', 'wind', 'forecastError']),
      'is a share of the forecast wind speed, and the forecast is calm (no `wind`, or speed 0); give `wind` a speed, or use gusts and drift',
    )
  const wait = valueAt(raw, ['world', 'handling', 'absentWait'])
  const absent = valueAt(data, ['world', 'handling', 'absent'])
  if (wait !== undefined && (absent === undefined || absent === 0))
    issues.add(
      ['world', 'handling', 'absentWait'],
      wait,
      'applies only when nobody is at the door; set world.handling.absent (a chance, e.g. 10%) too',
    )
}

function checkFault(
  f: Record<string, unknown>,
  i: number,
  raw: unknown,
  duration: number | undefined,
  fleet: number,
  issues: IssueSink,
): void {
  const type = f.type as FaultType
  const keys = FAULT_KEYS[type]
  if (keys === undefined) return // an unknown type is the schema's message
  for (const k of keys.needs)
    if (!(k in f)) issues.add(['faults', i, k], undefined, `missing required key "${k}" for a ${type} fault`, 'parent')
  for (const k of FAULT_OPTIONAL) {
    if (k in f && !keys.takes.includes(k))
      issues.add(
        ['faults', i, k],
        k,
        `"${k}" does not apply to a ${type} fault${keys.takes.length ? `; it takes ${keys.takes.join(', ')}` : ''}`,
        'key',
      )
  }
  if (type === 'brokerOutage' && 'drones' in f)
    issues.add(['faults', i, 'drones'], 'drones', "a brokerOutage cuts the simulator's connection, not single drones", 'key')
  if (typeof f.at === 'number' && duration !== undefined && f.at >= duration) {
    issues.add(['faults', i, 'at'], valueAt(raw, ['faults', i, 'at']), `starts at ${f.at} s, not before the end of the run (${duration} s)`)
  }
  const sel = f.drones as DroneSelection | undefined
  if (sel && Number.isFinite(fleet)) {
    if (sel.kind === 'count' && sel.count > fleet)
      issues.add(['faults', i, 'drones'], sel.count, `asks for ${sel.count} drones; the fleet has ${fleet}`)
    if (sel.kind === 'ids') {
      const bad = sel.ids.filter((id) => !/^d-\d+$/.test(id) || Number(id.slice(2)) < 1 || Number(id.slice(2)) > fleet)
      if (bad.length)
        issues.add(['faults', i, 'drones'], bad, `no drone ${bad.map((b) => `"${b}"`).join(', ')}; drones are d-1 … d-${fleet}`)
    }
  }
}

/** Zone ids unique, polygons proper (protocol/geo's polygonProblems, as for POST /v1/zones); returns the zones that passed. */
function checkZones(data: unknown, raw: unknown, issues: IssueSink): Zone[] {
  const list = valueAt(data, ['zones'])
  if (!Array.isArray(list)) return []
  const ok: Zone[] = []
  const seen = new Map<unknown, number>()
  list.forEach((z, i) => {
    if (!isRecord(z)) return
    const first = seen.get(z.id)
    if (typeof z.id === 'string' && first !== undefined)
      issues.add(['zones', i, 'id'], z.id, `duplicate zone id "${z.id}" (also zones[${first}])`)
    else seen.set(z.id, i)
    const polygon = z.polygon
    // Too few corners, or one that failed to parse, was reported already; such a ring cannot be judged.
    if (!Array.isArray(polygon) || polygon.length < 3 || polygon.some((p) => !isRecord(p))) return
    const bad = polygonProblems(polygon, '')
    for (const b of bad) {
      const corner = /^\/(\d+)/.exec(b.field)
      const path: Path = corner ? ['zones', i, 'polygon', Number(corner[1])] : ['zones', i, 'polygon']
      issues.add(path, valueAt(raw, path), corner ? `corner ${corner[1]}: ${b.message}` : b.message)
    }
    if (bad.length === 0 && typeof z.id === 'string') ok.push({ id: z.id, polygon: polygon as LatLon[], noFly: z.noFly !== false })
  })
  return ok
}

/**
 * Region ids unique and polygons proper and apart (protocol/regionProblems);
 * the map of the regions when they all passed (none declared: the one
 * default region), undefined when one did not.
 */
function checkRegions(data: unknown, raw: unknown, issues: IssueSink): RegionMap | undefined {
  const list = valueAt(data, ['regions'])
  if (list === undefined) return new RegionMap()
  if (!Array.isArray(list)) return undefined
  // What the schema or the position parser already refused is left out, so one mistake gives one message.
  const drafts = list.map((r) => {
    if (!isRecord(r)) return { id: undefined, polygon: undefined }
    const polygon = r.polygon
    const whole = Array.isArray(polygon) && polygon.length >= 3 && polygon.every((p) => isRecord(p))
    return {
      id: typeof r.id === 'string' && REGION_ID.test(r.id) ? r.id : undefined,
      polygon: whole ? (polygon as unknown as LatLon[]) : undefined,
    }
  })
  const bad = regionProblems(drafts)
  for (const b of bad) {
    const path: Path = ['regions', ...b.path]
    issues.add(path, valueAt(raw, path), b.message)
  }
  if (bad.length > 0 || drafts.some((d) => d.id === undefined || d.polygon === undefined)) return undefined
  return new RegionMap(drafts as Array<{ id: string; polygon: LatLon[] }>)
}
