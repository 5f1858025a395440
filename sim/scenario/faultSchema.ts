import { Type } from '@sinclair/typebox'
import { DroneSelection, NON_NEGATIVE, POSITIVE, Quantity } from './schemaNodes.js'

export const FAULT_TYPES = [
  'droneFailure',
  'gpsNoise',
  'gpsDropout',
  'telemetryLoss',
  'telemetryDelay',
  'batteryDrain',
  'brokerOutage',
] as const

/** One entry of the scenario's `faults:` timeline. */
export const faultSchema = Type.Object(
  {
    type: Type.Unsafe<string>({ type: 'string', enum: [...FAULT_TYPES], description: `What goes wrong: ${FAULT_TYPES.join(', ')}.` }),
    at: Quantity('time', 'When it starts, after the start of the run', NON_NEGATIVE),
    for: Type.Optional(Quantity('time', 'How long it lasts (default: to the end of the run; not for droneFailure)', POSITIVE)),
    drones: Type.Optional(DroneSelection),
    sigma: Type.Optional(Quantity('length', 'gpsNoise: standard deviation of the position error', POSITIVE)),
    fraction: Type.Optional(Quantity('fraction', 'telemetryLoss: share of samples lost', { exclusiveMinimum: 0, maximum: 1 })),
    delay: Type.Optional(Quantity('time', 'telemetryDelay: how late samples arrive', POSITIVE)),
    factor: Type.Optional(
      Type.Number({ exclusiveMinimum: 1, description: 'batteryDrain: how many times faster the battery drains (2 = twice as fast).' }),
    ),
  },
  { additionalProperties: false, description: 'A fault on the timeline.' },
)
