import type { MqttClient } from 'mqtt'
import { DronefleetError, ErrorCodes } from '../protocol/errors.js'

/** Reconnects a client that was ended, resolving once it is connected again. */
export function reconnectMqtt(mqtt: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const onConnect = (): void => {
      mqtt.off('error', onError)
      resolve()
    }
    const onError = (err: Error): void => {
      mqtt.off('connect', onConnect)
      reject(new DronefleetError(ErrorCodes.BROKER_UNREACHABLE, `cannot reconnect to the MQTT broker after a brokerOutage: ${err.message}`))
    }
    mqtt.once('connect', onConnect)
    mqtt.once('error', onError)
    mqtt.reconnect()
  })
}
