/**
 * What the tracking page says, as pure functions: the page's script is these
 * functions' own source (`fn.toString()`, see trackingPageScript.ts), and the
 * tests call them directly. So each must be self-contained: no imports, no
 * module-level constants, nothing but its arguments.
 */

/** The five steps a customer sees, and how far a delivery has come along them. */
export interface TrackingStep {
  label: string
  /** done, the current one, still to come, or where the delivery stopped (cancelled/failed). */
  state: 'done' | 'current' | 'todo' | 'stopped'
}

/**
 * requested → drone on its way → picked up → arriving → delivered. A
 * cancelled or failed delivery shows the steps it reached, then where it
 * stopped. "Arriving" is the last stretch: carrying the parcel and at most
 * two minutes out, or landing at the drop-off.
 */
export function trackingSteps(
  status: string,
  eventTypes: readonly string[],
  leftMs: number | null,
  droneState: string | null,
): TrackingStep[] {
  const labels = ['Requested', 'Drone on its way', 'Picked up', 'Arriving', 'Delivered']
  const arriving = status === 'HeadedToDropoff' && ((leftMs !== null && leftMs <= 120_000) || droneState === 'landing')
  if (status === 'Cancelled' || status === 'Failed') {
    const reached = eventTypes.includes('PackagePickedUp') ? 2 : eventTypes.includes('DroneAssigned') ? 1 : 0
    const steps: TrackingStep[] = labels.slice(0, reached + 1).map((label) => ({ label, state: 'done' }))
    steps.push({ label: status === 'Cancelled' ? 'Cancelled' : 'Not delivered', state: 'stopped' })
    return steps
  }
  const current = status === 'Completed' ? 5 : status === 'HeadedToDropoff' ? (arriving ? 3 : 2) : status === 'HeadedToPickup' ? 1 : 0
  return labels.map((label, i) => ({ label, state: i < current ? 'done' : i === current ? 'current' : 'todo' }))
}

/** The headline: where the delivery is, in a sentence. */
export function statusHeadline(status: string, eventTypes: readonly string[], arriving: boolean): string {
  switch (status) {
    case 'Created':
      // Back to Created after its drone was lost before pickup.
      return eventTypes.includes('DroneLost') ? 'Finding another drone for your parcel' : 'Finding a drone for your parcel'
    case 'HeadedToPickup':
      return 'A drone is on its way to pick up your parcel'
    case 'HeadedToDropoff':
      return arriving ? 'Your parcel is arriving' : 'Your parcel is in the air, on its way to you'
    case 'Completed':
      return 'Your parcel has been delivered'
    case 'Cancelled':
      return 'This delivery was cancelled'
    case 'Failed':
      return 'This delivery could not be completed'
    default:
      return status
  }
}

/**
 * "arrives in about 4 min": whole minutes (hours past the hour), never a bare
 * "3:57" that reads like a time of day. A no-break space keeps each number
 * with its unit when the line wraps on a phone.
 */
export function etaWords(leftMs: number): string {
  if (leftMs <= 15_000) return 'arriving any moment'
  if (leftMs < 60_000) return 'arrives in less than a minute'
  const min = Math.round(leftMs / 60_000)
  if (min < 60) return `arrives in about ${min}\u00a0min`
  const h = Math.floor(min / 60)
  const m = min % 60
  return `arrives in about ${h}\u00a0h${m ? ` ${m}\u00a0min` : ''}`
}

/**
 * Why a delivery ended without arriving, in words a customer can use. The
 * engine's reasons are written for operators ("package of 12 kg exceeds the
 * drones' 5 kg payload"); the page shows them under Details too.
 */
export function plainReason(e: { type: string; reason?: string; packageReturnsTo?: unknown } | undefined): string {
  if (!e) return ''
  const r = (e.reason ?? '').toLowerCase()
  if (e.type === 'DeliveryCancelled') {
    const back = e.packageReturnsTo ? ' Your parcel is being flown back to the depot.' : ''
    const given = e.reason && r !== 'cancelled by operator' ? ` Reason given: ${e.reason.trim()}` : ''
    return `The delivery was cancelled.${given}${given && !/[.!?]$/.test(given) ? '.' : ''}${back}`
  }
  if (e.type !== 'DeliveryFailed') return ''
  if (r.includes('carrying the package')) return 'The drone carrying your parcel ran into a problem and could not finish the flight.'
  if (r.includes('payload')) return 'Your parcel is heavier than our drones can carry.'
  if (r.includes('deadline')) return 'It could no longer arrive before its deadline.'
  if (r.includes('battery') || r.includes(' wh')) return 'The drop-off is farther than our drones can fly.'
  if (r.includes('no-fly') || r.includes('no route')) return 'No flight path reaches the drop-off without crossing a no-fly zone.'
  if (r.includes('wind') || r.includes('cannot be flown')) return 'The wind is too strong to fly there safely.'
  if (r.includes('no other drone')) return 'No drone was free to take it over.'
  return 'We could not complete this delivery.'
}

/** One event of the history, for the Details list. */
export function eventWords(e: { type: string; droneId?: string; toDroneId?: string; reason?: string }): string {
  switch (e.type) {
    case 'DeliveryCreated':
      return 'Requested'
    case 'DroneAssigned':
      return `Drone ${e.droneId} assigned`
    case 'PackagePickedUp':
      return 'Parcel picked up'
    case 'DeliveryCompleted':
      return 'Delivered'
    case 'DeliveryCancelled':
      return `Cancelled${e.reason ? `: ${e.reason}` : ''}`
    case 'DeliveryRescheduled':
      return 'Drop-off or deadline changed'
    case 'DroneLost':
      return `Drone ${e.droneId} lost${e.reason ? ` (${e.reason})` : ''}`
    case 'DeliveryReassigned':
      return `Handed to drone ${e.toDroneId}`
    case 'DeliveryFailed':
      return `Failed: ${e.reason ?? ''}`
    case 'GeofenceEntered':
      return 'Entered a watched area'
    case 'GeofenceExited':
      return 'Left a watched area'
    default:
      return e.type
  }
}
