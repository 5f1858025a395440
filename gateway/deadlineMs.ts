import type { CreateDeliveryBody, RescheduleBody } from './apiSchemas.js'

/** A body's deadline (date-time string or ms since the epoch) in ms since the epoch; null for none. */
export function deadlineMs(v: CreateDeliveryBody['deadline'] | RescheduleBody['deadline']): number | null {
  if (v === undefined || v === null) return null
  return typeof v === 'number' ? v : Date.parse(v)
}
