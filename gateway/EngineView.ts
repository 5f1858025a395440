import type { DroneView, EngineStats } from '../protocol/views.js'

/**
 * What the gateway reads from the engine running beside it. Writes never go
 * through here: they travel over the broker like everything else.
 */
export interface EngineView {
  drones(): DroneView[]
  drone(id: string): DroneView | undefined
  stats(): EngineStats
}
