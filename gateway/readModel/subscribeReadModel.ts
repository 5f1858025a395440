import { AppliedSeqs } from '../../protocol/AppliedSeqs.js'
import type { BrokerLink } from '../../protocol/BrokerLink.js'
import type { Topics } from '../../protocol/topics.js'
import { handleDeliveryEvent } from './handleDeliveryEvent.js'
import { handleTracking } from './handleTracking.js'
import type { ReadModelContext } from './ReadModelContext.js'

export interface ReadModelSubscription {
  /** Stops listening; unsubscribes when the link is connected. */
  close(): Promise<void>
}

/**
 * The read model: everything the engine says about deliveries, routed by
 * topic to handleDeliveryEvent or handleTracking. Events at QoS 1 (a lost
 * status change is wrong forever); tracking at QoS 0 (the next position
 * supersedes it).
 */
export async function subscribeReadModel(mqtt: BrokerLink, topics: Topics, given: ReadModelContext): Promise<ReadModelSubscription> {
  const ctx: ReadModelContext = given.applied ? given : { ...given, applied: new AppliedSeqs() }
  const onMessage = (topic: string, payload: Buffer): void => {
    const id = topics.deliveryIdOf(topic)
    if (id === undefined) return
    if (topic === topics.deliveryEvents(id)) handleDeliveryEvent(ctx, topic, id, payload)
    else if (topic === topics.tracking(id)) handleTracking(ctx, topic, id, payload)
  }
  const subscriptions = [topics.deliveryEventsAll, topics.trackingAll]
  mqtt.on('message', onMessage)
  await mqtt.subscribeAsync({ [topics.deliveryEventsAll]: { qos: 1 }, [topics.trackingAll]: { qos: 0 } })
  return {
    async close() {
      mqtt.off('message', onMessage)
      // Only when connected: MQTT.js would queue the UNSUBSCRIBE and the promise would wait for a reconnect.
      if (mqtt.connected) await mqtt.unsubscribeAsync(subscriptions).catch(() => {})
    },
  }
}
