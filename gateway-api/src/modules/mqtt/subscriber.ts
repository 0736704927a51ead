import mqtt, { type IClientOptions } from 'mqtt';
import type { Logger } from 'pino';
import { startBatcher, type BatcherOptions, type Incoming } from './batcher.js';
import { evidenceFilter } from './topics.js';

export interface MqttSubscriberOptions extends Pick<BatcherOptions<Incoming>, 'readings' | 'devices' | 'audit' | 'serviceId'> {
  readonly url: string;
  /** Client id, credentials, protocol version: the session is persistent (`clean: false`) whatever is passed. */
  readonly client: Readonly<IClientOptions> & { readonly clientId: string };
  readonly logger: Logger;
}

/** The gateway's subscription to the evidence topics of a real broker. */
export interface MqttSubscriber {
  connected(): boolean;
  /** Resolves once the first subscription is in place, or after `timeoutMs` (false then). */
  ready(timeoutMs: number): Promise<boolean>;
  /** Lets the batches received commit and be acknowledged, then disconnects (the session stays with the broker). */
  close(): Promise<void>;
}

/** Passed to mqtt.js's handleMessage callback so that it does not send the PUBACK itself (see acknowledge). */
const deferred = new Error('acknowledged after the commit');

/**
 * Subscribes to `wr/+/+/evidence` at QoS 1 with a persistent session and feeds the items to the readings intake in
 * batches (batcher.ts). A message is acknowledged only after the batch it belongs to has committed; when a commit
 * fails, nothing of that batch or after it is acknowledged and the connection is dropped, so that the broker delivers
 * the messages again on the reconnect.
 */
export function startMqttSubscriber(options: Readonly<MqttSubscriberOptions>): MqttSubscriber {
  const { logger } = options;
  const client = mqtt.connect(options.url, {
    reconnectPeriod: 1_000,
    connectTimeout: 10_000,
    ...options.client,
    clean: false,
    resubscribe: false,
  });
  let connection = 0;
  let closing = false;
  let subscribed: (() => void) | undefined;
  const firstSubscription = new Promise<void>((resolve) => (subscribed = resolve));

  const batcher = startBatcher<Incoming>({
    ...options,
    publish(_message, topic, payload, correlationData) {
      client.publish(topic, payload, { qos: 1, ...(correlationData === undefined ? {} : { properties: { correlationData } }) }, (error) => {
        if (error) logger.warn({ err: error, topic }, 'mqtt intake: a result was not published');
      });
      // mqtt.js writes on one connection in order: the PUBACKs sent after this leave after it.
      return undefined;
    },
    failed: () => client.stream.destroy(),
  });

  client.on('connect', (connack) => {
    connection++;
    logger.info({ broker: redact(options.url), sessionPresent: connack.sessionPresent }, 'mqtt intake connected');
    client.subscribe(evidenceFilter, { qos: 1 }, (error, granted) => {
      if (error || granted?.[0]?.qos !== 1) {
        logger.error({ err: error, granted }, `mqtt intake: the subscription to ${evidenceFilter} was refused`);
        return;
      }
      subscribed?.();
    });
  });
  client.on('close', () => {
    // What was not acknowledged on the connection that ended comes again on the next one.
    connection++;
    batcher.discard();
  });
  client.on('error', (error) => logger.warn({ err: error, broker: redact(options.url) }, 'mqtt intake: broker error'));

  client.handleMessage = (packet, callback) => {
    if (closing) return callback(deferred);
    logger.trace({ topic: packet.topic, messageId: packet.messageId, qos: packet.qos }, 'mqtt intake: received');
    const { messageId } = packet;
    const received = connection;
    batcher.push({
      topic: packet.topic,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      responseTopic: packet.properties?.responseTopic,
      correlationData: packet.properties?.correlationData,
      // Only on the connection the message came on: on another, the broker sends it again anyway.
      acknowledge: () => {
        if (packet.qos > 0 && messageId !== undefined && received === connection && client.connected) sendPuback(messageId);
      },
    });
    // mqtt.js handles one packet at a time and sends the PUBACK when this callback has no error: an error here makes
    // it go on to the next packet without one, and acknowledge() sends it once the batch has committed.
    callback(packet.qos > 0 ? deferred : undefined);
  };

  /**
   * mqtt.js has no public call to send a PUBACK later (its own handlers use this one), and none that would let a batch
   * of messages be received before the first is acknowledged.
   */
  function sendPuback(messageId: number): void {
    (client as unknown as { _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode?: number }): void })._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
  }

  return {
    connected: () => client.connected,
    async ready(timeoutMs) {
      let timeout: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), timeoutMs)));
      try {
        return await Promise.race([firstSubscription.then(() => true), late]);
      } finally {
        clearTimeout(timeout);
      }
    },
    async close() {
      closing = true;
      await batcher.close();
      // Results still waiting for the broker's PUBACK get a moment; then the connection goes, whatever it waits for.
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([client.endAsync(false), new Promise((resolve) => (timeout = setTimeout(resolve, 2_000)))]);
      clearTimeout(timeout);
      if (!client.disconnected) await client.endAsync(true);
    },
  };
}

/** A broker URL without its credentials, for logs and /healthz. */
export function redact(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
