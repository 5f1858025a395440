import type { DroneCommand } from '../protocol/commands.js'
import type { DeliveryEvent } from '../protocol/events.js'
import type { TrackingMessage } from '../protocol/tracking.js'

/** Where the engine's decisions go; the MQTT adapter publishes them. */
export interface EngineSink {
  command(cmd: DroneCommand): void
  event(e: DeliveryEvent): void
  tracking(m: TrackingMessage): void
}
