import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditLog } from '../../db/audit-log.js';
import type { Queryable } from '../../db/database.js';
import { jsonDepth } from '../../util/json-depth.js';
import type { Devices } from '../devices/index.js';
import type { ItemRejectionCode } from '../errors.js';
import { evidenceLimits, type ItemResult, type ReadingIntake } from '../readings/index.js';
import { evidenceFilter, parseEvidenceTopic, resultTopic, type TopicAddress } from './topics.js';

/** Limits of the MQTT intake. */
export const mqttLimits = {
  /** Bytes of one PUBLISH payload (one item: an envelope of at most 16 KiB as JCS, its signature, lot and receipt). */
  payloadBytes: 64 * 1024,
  /** Items committed together in one transaction, at most. */
  batchItems: 200,
  /** How long the first item of a batch waits for others before the batch is submitted. */
  batchWindowMs: 5,
  /** Batches under way at once: one checked while the one before commits. */
  batchesInFlight: 2,
} as const;

/** What the gateway publishes on `.../result` for each item: the item's result as POST /v1/evidence gives it, and its seq. */
export type ResultMessage = { readonly seq?: number } & ItemResult;

export interface MqttSubscriberOptions {
  readonly url: string;
  /** Client id, credentials, protocol version: the session is persistent (`clean: false`) whatever is passed. */
  readonly client: Readonly<IClientOptions> & { readonly clientId: string };
  readonly readings: Pick<ReadingIntake, 'submitBatch'>;
  readonly devices: Pick<Devices, 'warehouses'>;
  readonly audit: Pick<AuditLog, 'append'>;
  /** The identity that published a payload, when the broker says (the embedded one does); else `serviceId`. */
  readonly publisherOf: (topic: string, payload: Uint8Array) => string | undefined;
  /** Who MQTT writes are submitted by when the publisher is not known. */
  readonly serviceId: string;
  readonly logger: Logger;
  /**
   * On close, first take what the broker still delivers until it has been quiet for a moment: the embedded broker
   * keeps what it has acknowledged to the devices in memory only, and goes with the gateway.
   */
  readonly drainOnClose: boolean;
}

/** The gateway's subscription to the evidence topics. */
export interface MqttSubscriber {
  connected(): boolean;
  /** Resolves once the first subscription is in place, or after `timeoutMs` (false then). */
  ready(timeoutMs: number): Promise<boolean>;
  /** Lets the batch under way commit and be acknowledged, then disconnects (the session stays with the broker). */
  close(): Promise<void>;
}

/** One message received and not yet acknowledged. */
interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly messageId: number | undefined;
  /** The connection it came on: an acknowledgement is only sent on that one. */
  readonly connection: number;
  readonly properties: IPublishPacket['properties'];
}

/** An item ready for the intake, or the result it already has. */
type Checked =
  | { readonly kind: 'item'; readonly message: Received; readonly address: TopicAddress; readonly item: unknown; readonly seq: number | undefined; readonly claimedDevice: string | undefined }
  | { readonly kind: 'refused'; readonly message: Received; readonly address: TopicAddress | undefined; readonly seq: number | undefined; readonly code: ItemRejectionCode; readonly text: string };

/** Passed to mqtt.js's handleMessage callback so that it does not send the PUBACK itself (see acknowledge). */
const deferred = new Error('acknowledged after the commit');

/** What can be read of a payload's claims before it is checked: the device and seq the envelope names. */
const claims = z.object({
  envelope: z.object({
    deviceId: z.string().optional().catch(undefined),
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().catch(undefined),
  }),
});

/**
 * Subscribes to `wr/+/+/evidence` at QoS 1 with a persistent session and feeds the items to the readings intake in
 * batches (up to {@link mqttLimits.batchItems} items or {@link mqttLimits.batchWindowMs} ms). A message is acknowledged
 * only after the batch it belongs to has committed; when a commit fails, nothing of the batch is acknowledged and the
 * connection is dropped, so that the broker delivers the messages again on the reconnect.
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
  let queue: Received[] = [];
  let timer: NodeJS.Timeout | undefined;
  let draining: Promise<void> | undefined;
  let lastReceived = 0;

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
    queue = [];
  });
  client.on('error', (error) => logger.warn({ err: error, broker: redact(options.url) }, 'mqtt intake: broker error'));

  client.handleMessage = (packet, callback) => {
    if (closing) return callback(deferred);
    lastReceived = performance.now();
    logger.trace({ topic: packet.topic, messageId: packet.messageId, qos: packet.qos }, 'mqtt intake: received');
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    queue.push({ topic: packet.topic, payload, messageId: packet.qos > 0 ? packet.messageId : undefined, connection, properties: packet.properties });
    schedule();
    // mqtt.js handles one packet at a time and sends the PUBACK when this callback has no error: an error here makes
    // it go on to the next packet without one, and acknowledge() sends it once the batch has committed.
    callback(packet.qos > 0 ? deferred : undefined);
  };

  function schedule(): void {
    if (draining !== undefined) return;
    if (queue.length >= mqttLimits.batchItems) {
      clearTimeout(timer);
      timer = undefined;
      startDrain();
    } else {
      timer ??= setTimeout(() => {
        timer = undefined;
        startDrain();
      }, mqttLimits.batchWindowMs);
    }
  }

  /** Starts draining unless it is under way; `draining` is cleared only after it was set (finally runs later). */
  function startDrain(): void {
    if (draining !== undefined) return;
    draining = drain().finally(() => {
      draining = undefined;
      // Items that came while the last batch was being acknowledged.
      if (queue.length > 0 && !closing) schedule();
    });
  }

  /**
   * Submits batches until the queue is empty, two at a time: a batch's signatures are checked while the one before it
   * commits, and it commits (and is acknowledged) only after that one, so commits and PUBACKs keep the order the
   * messages came in. A batch that fails fails every batch after it that has not committed: the connection is dropped
   * and the broker delivers them all again.
   */
  async function drain(): Promise<void> {
    const inFlight: Promise<void>[] = [];
    let previous: Promise<void> = Promise.resolve();
    let failed = false;
    while (queue.length > 0 && !failed) {
      const batch = queue.splice(0, mqttLimits.batchItems);
      const running = submit(batch, previous);
      previous = running;
      inFlight.push(
        running.catch((error: unknown) => {
          if (failed) return;
          failed = true;
          logger.error({ err: error, items: batch.length }, 'mqtt intake: a batch did not commit; reconnecting so that the broker delivers it again');
          queue = [];
          client.stream.destroy();
        }),
      );
      if (inFlight.length >= mqttLimits.batchesInFlight) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }

  async function submit(batch: readonly Received[], turn: Promise<void>): Promise<void> {
    const checked = batch.map(check);
    // The topic names the device's warehouse: checked against the device's registration.
    const named = checked.flatMap((entry) => (entry.kind === 'item' && entry.claimedDevice !== undefined ? [entry.claimedDevice] : []));
    const warehouses = named.length === 0 ? new Map<string, string>() : await options.devices.warehouses(named);
    const results = new Map<Received, ResultMessage>();
    const groups = new Map<string, { message: Received; item: unknown; seq: number | undefined }[]>();
    for (const entry of checked) {
      if (entry.kind === 'refused') {
        results.set(entry.message, { ...seqOf(entry.seq), status: 'rejected', code: entry.code, message: entry.text });
        continue;
      }
      const registered = entry.claimedDevice === undefined ? undefined : warehouses.get(entry.claimedDevice);
      if (registered !== undefined && registered !== entry.address.warehouseId) {
        const text = `device ${entry.claimedDevice ?? ''} is registered in warehouse ${registered}, not ${entry.address.warehouseId} as the topic says`;
        results.set(entry.message, { ...seqOf(entry.seq), status: 'rejected', code: 'TOPIC_MISMATCH', message: text });
        continue;
      }
      const submittedBy = options.publisherOf(entry.message.topic, entry.message.payload) ?? options.serviceId;
      const group = groups.get(submittedBy) ?? [];
      group.push({ message: entry.message, item: entry.item, seq: entry.seq });
      groups.set(submittedBy, group);
    }
    // One transaction per publishing identity (usually one): each write is recorded under who made it.
    for (const [submittedBy, group] of groups) {
      const requestId = `mqtt-${randomUUID()}`;
      const topics = [...new Set(group.map(({ message }) => message.topic))];
      const record = async (tx: Queryable): Promise<void> => {
        for (const topic of topics) {
          await options.audit.append(
            { requestId, identityId: submittedBy, method: 'MQTT', path: topic, txName: 'SubmitEvidence', txId: null, blockNumber: null, status: 0, idempotencyKey: null },
            tx,
          );
        }
      };
      const outcome = await options.readings.submitBatch(
        group.map(({ item }) => item),
        { submittedBy, requestId, record },
        { turn },
      );
      group.forEach(({ message, seq }, index) => {
        const result = outcome.items[index];
        if (result !== undefined) results.set(message, { ...seqOf(seq), ...result });
      });
    }
    // A batch with nothing for the intake still answers after the batch before it (PUBACKs keep their order).
    await turn;
    for (const message of batch) {
      const result = results.get(message);
      if (result !== undefined) publishResult(message, result);
    }
    logger.debug({ items: batch.length, groups: groups.size }, 'mqtt intake: batch committed');
    // In the order received, as MQTT wants PUBACKs sent; only on the connection the messages came on.
    for (const message of batch) if (message.messageId !== undefined && message.connection === connection && client.connected) acknowledge(message.messageId);
  }

  /** A message's item, or why it has a result before the intake sees it. */
  function check(message: Received): Checked {
    const address = parseEvidenceTopic(message.topic);
    const refuse = (code: ItemRejectionCode, text: string, seq?: number): Checked => ({ kind: 'refused', message, address, seq, code, text });
    if (address === undefined) return refuse('TOPIC_MISMATCH', `${message.topic} is not an evidence topic (wr/{warehouseId}/{deviceId}/evidence)`);
    if (message.payload.byteLength > mqttLimits.payloadBytes) {
      return refuse('PAYLOAD_TOO_LARGE', `the payload is ${message.payload.byteLength.toString()} bytes; one item is at most ${mqttLimits.payloadBytes.toString()}`);
    }
    let item: unknown;
    try {
      item = JSON.parse(message.payload.toString('utf8'));
    } catch (error) {
      return refuse('PAYLOAD_NOT_JSON', `the payload is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const claimed = claims.safeParse(item);
    const seq = claimed.success ? claimed.data.envelope.seq : undefined;
    const claimedDevice = claimed.success ? claimed.data.envelope.deviceId : undefined;
    // The intake refuses a whole batch that nests too deep; here it is one item's fault.
    if (jsonDepth(item) > evidenceLimits.bodyDepth) return refuse('MALFORMED_ITEM', `an item nests at most ${evidenceLimits.bodyDepth.toString()} levels`, seq);
    if (claimedDevice !== undefined && claimedDevice !== address.deviceId) {
      return refuse('TOPIC_MISMATCH', `the envelope's deviceId is ${claimedDevice}; the topic names ${address.deviceId}`, seq);
    }
    return { kind: 'item', message, address, item, seq, claimedDevice };
  }

  /** Publishes a result where the publisher asked for it (MQTT 5 response topic) or on its device's result topic. */
  function publishResult(message: Received, result: ResultMessage): void {
    const asked = message.properties?.responseTopic;
    // A response topic on an evidence topic would feed the result back to the intake as an item.
    const topic = asked !== undefined && parseEvidenceTopic(asked) === undefined && !/[+#]/.test(asked) ? asked : message.topic === '' ? undefined : resultOf(message);
    if (topic === undefined) return;
    const correlationData = message.properties?.correlationData;
    client.publish(topic, JSON.stringify(result), { qos: 1, ...(correlationData === undefined ? {} : { properties: { correlationData } }) }, (error) => {
      if (error) logger.warn({ err: error, topic }, 'mqtt intake: a result was not published');
    });
  }

  function resultOf(message: Received): string | undefined {
    const address = parseEvidenceTopic(message.topic);
    return address === undefined ? undefined : resultTopic(address);
  }

  /**
   * Sends the PUBACK of a message. mqtt.js has no public call for it (its own handlers use this one), and none that
   * would let a batch of messages be received before the first is acknowledged.
   */
  function acknowledge(messageId: number): void {
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
      if (options.drainOnClose) {
        const until = performance.now() + CLOSE_DRAIN_MAX_MS;
        while (performance.now() < until && (draining !== undefined || queue.length > 0 || performance.now() - lastReceived < CLOSE_QUIET_MS)) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      closing = true;
      clearTimeout(timer);
      await draining;
      // Results still waiting for the broker's PUBACK get a moment; then the connection goes, whatever it waits for.
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([client.endAsync(false), new Promise((resolve) => (timeout = setTimeout(resolve, 2_000)))]);
      clearTimeout(timeout);
      if (!client.disconnected) await client.endAsync(true);
    },
  };
}

/** On close: how long the broker must have sent nothing, and how long the wait may take at most. */
const CLOSE_QUIET_MS = 100;
const CLOSE_DRAIN_MAX_MS = 5_000;

const seqOf = (seq: number | undefined): { readonly seq?: number } => (seq === undefined ? {} : { seq });

/** A broker URL without its credentials, for logs and /healthz. */
export function redact(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
