import { DronefleetError, ErrorCodes } from '../protocol/errors.js'

/** The store could not be opened, migrated or written; `cause` is the backend's own error. */
export function storeUnavailable(what: string, cause?: unknown): DronefleetError {
  const why = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause)
  const err = new DronefleetError(ErrorCodes.STORE_UNAVAILABLE, why ? `${what}: ${why}` : what)
  if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause })
  return err
}

export function fenced(region: string, held: number, given: number): DronefleetError {
  return new DronefleetError(
    ErrorCodes.STORE_FENCED,
    `region ${JSON.stringify(region)} is held at epoch ${held}; a write at epoch ${given} was refused`,
    'epoch',
    given,
  )
}

export function unknownDelivery(id: string): DronefleetError {
  return new DronefleetError(ErrorCodes.NOT_FOUND, `no delivery with id ${JSON.stringify(id)} in the store`, 'deliveryId', id)
}
