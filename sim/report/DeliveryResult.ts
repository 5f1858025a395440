import type { Eta } from '../../protocol/eta.js'
import type { DeliveryStatus } from '../../protocol/events.js'
import type { LatLon } from '../../protocol/geo.js'

/** One requested delivery as a run's results show it (results.json `deliveries`), folded by ResultsCollector. */
export interface DeliveryResult {
  /** Order in which the simulator requested it, from 1: the key that is the same in every run. */
  request: number
  status: DeliveryStatus
  droneId: string | null
  pickup: LatLon
  dropoff: LatLon
  weightKg: number
  requestedAt: number
  deadline: number
  assignedAt: number | null
  pickedUpAt: number | null
  completedAt: number | null
  /** ETA the engine promised when it assigned the drone. */
  etaAtAssignment: number | null
  /** The engine's ETA this many seconds before the actual arrival (the last prediction at or before then). */
  predictedEta: Record<string, number | null>
  /** The P10–P90 window of each of those predictions. */
  predictedWindow: Record<string, { p10: number; p90: number } | null>
  /** What the naive baselines predicted then (the last tracking message at or before then), with their fixed band. */
  baselineEta: { straightLine: Record<string, Eta | null>; stillAirRoute: Record<string, Eta | null> }
  onTime: boolean
  /** Flown for it by the drones that carried it, including the flight home; m and Wh. */
  distanceM: number
  energyWh: number
  /** Drones that refused it for want of battery or a flyable leg. */
  refusals: number
  reason: string | null
}
