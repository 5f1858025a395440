import { Type, type TProperties } from '@sinclair/typebox'
import type { DroneProfile } from '../../protocol/profile.js'
import { DEFAULT_PROFILE } from '../../protocol/profile.js'
import type { Dimension } from '../../protocol/units.js'
import { NON_NEGATIVE, POSITIVE, Quantity, type Bounds } from './schemaNodes.js'

/** YAML key → DroneProfile field, dimension, bounds and meaning. */
export const DRONE_KEYS = {
  cruiseSpeed: ['cruiseSpeedMps', 'speed', POSITIVE, 'Airspeed in cruise'],
  cruiseAltitude: ['cruiseAltitudeM', 'length', POSITIVE, 'Cruise altitude above ground'],
  climbRate: ['climbRateMps', 'speed', POSITIVE, 'Climb and descent rate'],
  battery: ['batteryWh', 'energy', POSITIVE, 'Usable battery energy'],
  reserve: ['reserve', 'fraction', { minimum: 0, exclusiveMaximum: 1 }, 'Battery fraction that must remain at the end of any plan'],
  consumption: ['whPerKm', 'energyPerDistance', POSITIVE, 'Cruise consumption of the empty drone'],
  payloadConsumption: ['whPerKgKm', 'energyPerMassDistance', NON_NEGATIVE, 'Extra cruise consumption per kg of payload'],
  hoverPower: ['hoverW', 'power', POSITIVE, 'Power drawn while hovering, climbing or descending'],
  maxPayload: ['maxPayloadKg', 'mass', POSITIVE, 'Heaviest package the drone can carry'],
  handling: ['handlingS', 'time', NON_NEGATIVE, 'Time hovering at a pickup or drop-off to load or release'],
  chargePower: ['chargeW', 'power', POSITIVE, 'Charging power at a depot'],
  swapTime: ['swapS', 'time', NON_NEGATIVE, 'Battery swap time at a depot; 0 charges at chargePower instead'],
  consumptionSpeed: [
    'refSpeedMps',
    'speed',
    POSITIVE,
    'Airspeed at which consumption and payloadConsumption hold; per-km consumption grows with the square of cruiseSpeed over it',
  ],
} as const satisfies Record<string, readonly [keyof DroneProfile, Dimension, Bounds, string]>

const droneProperties = Object.fromEntries(
  Object.entries(DRONE_KEYS).map(([key, [field, dim, bounds, what]]) => [
    key,
    Type.Optional(Quantity(dim, what, bounds, DEFAULT_PROFILE[field])),
  ]),
) as TProperties

/** The scenario's `drone:` section: every key optional, defaulting to DEFAULT_PROFILE. */
export const droneSchema = Type.Object(droneProperties, {
  additionalProperties: false,
  description: 'Performance of every drone; each key is optional and defaults to a small delivery quadcopter.',
})
