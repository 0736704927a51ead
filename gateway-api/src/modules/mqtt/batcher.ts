import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditLog } from '../../db/audit-log.js';
import type { Queryable } from '../../db/database.js';
import { jsonDepth } from '../../util/json-depth.js';
import type { Devices } from '../devices/index.js';
import type { ItemRejectionCode } from '../errors.js';
import { evidenceLimits, type ItemResult, type ReadingIntake } from '../readings/index.js';
import { parseEvidenceTopic, resultTopic, type TopicAddress } from './topics.js';

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

/** A message received on an evidence topic and not yet acknowledged. */
export interface Incoming {
  readonly topic: string;
  readonly payload: Buffer;
  /** MQTT 5: where the publisher wants the result, and what to send back with it. */
  readonly responseTopic?: string | undefined;
  readonly correlationData?: Buffer | undefined;
  /** The identity that published it, when the broker says (the embedded one does); else the service identity. */
  readonly publishedBy?: string | undefined;
  /** Sends its PUBACK: called once its batch has committed and its result was published, in the order received. */
  acknowledge(): void;
}

export interface BatcherOptions<T extends Incoming> {
  readonly readings: Pick<ReadingIntake, 'submitBatch'>;
  readonly devices: Pick<Devices, 'warehouses'>;
  readonly audit: Pick<AuditLog, 'appendAll'>;
  /** Who MQTT writes are submitted by when the publisher is not known. */
  readonly serviceId: string;
  readonly logger: Logger;
  /**
   * Publishes the result of `message` (QoS 1); a promise, when given, settles once it has been written where it goes:
   * the PUBACKs wait for it, so that a device that has its PUBACK was sent its result first.
   */
  publish(message: T, topic: string, payload: string, correlationData: Buffer | undefined): Promise<void> | undefined;
  /**
   * A batch did not commit: none of `items` (that batch, the ones after it, the ones still queued) was acknowledged,
   * and none will be. The transport makes their publishers send them again (drops the connections they came on).
   */
  failed(items: readonly T[]): void;
}

/** The batching of received messages into the readings intake, whatever the transport. */
export interface Batcher<T extends Incoming> {
  push(message: T): void;
  /** Forgets the messages not yet in a batch (their connection went: they will come again). */
  discard(): void;
  /** Whether nothing is queued or under way. */
  idle(): boolean;
  /** Submits what is queued, then waits for every batch under way; takes no more messages after. */
  close(): Promise<void>;
}

/** An item ready for the intake, or the result it already has. */
type Checked<T> =
  | { readonly kind: 'item'; readonly message: T; readonly address: TopicAddress; readonly item: unknown; readonly seq: number | undefined; readonly claimedDevice: string | undefined }
  | { readonly kind: 'refused'; readonly message: T; readonly seq: number | undefined; readonly code: ItemRejectionCode; readonly text: string };

/** What can be read of a payload's claims before it is checked: the device and seq the envelope names, if it does. */
function claimsOf(item: unknown): { readonly deviceId: string | undefined; readonly seq: number | undefined } {
  const envelope = typeof item === 'object' && item !== null && 'envelope' in item ? item.envelope : undefined;
  if (typeof envelope !== 'object' || envelope === null) return { deviceId: undefined, seq: undefined };
  const deviceId = 'deviceId' in envelope && typeof envelope.deviceId === 'string' ? envelope.deviceId : undefined;
  const seq = 'seq' in envelope && Number.isSafeInteger(envelope.seq) && (envelope.seq as number) >= 0 ? (envelope.seq as number) : undefined;
  return { deviceId, seq };
}

/**
 * Feeds messages to the readings intake in batches (up to {@link mqttLimits.batchItems} items or
 * {@link mqttLimits.batchWindowMs} ms), two batches under way at once: a batch's signatures are checked while the one
 * before it commits, and it commits (and is acknowledged) only after that one, so that commits, results and PUBACKs
 * keep the order the messages came in. A batch that fails fails every batch after it that has not committed, and what
 * is queued: none of them is acknowledged (see {@link BatcherOptions.failed}).
 */
export function startBatcher<T extends Incoming>(options: Readonly<BatcherOptions<T>>): Batcher<T> {
  const { logger } = options;
  let queue: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let draining: Promise<void> | undefined;
  let closing = false;

  function schedule(): void {
    if (draining !== undefined) return;
    if (queue.length >= mqttLimits.batchItems || closing) {
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
      if (queue.length > 0) schedule();
    });
  }

  async function drain(): Promise<void> {
    const inFlight: Promise<void>[] = [];
    // The batches submitted and not yet committed, in order.
    const unsettled: (readonly T[])[] = [];
    let previous: Promise<void> = Promise.resolve();
    let failed = false;
    while (queue.length > 0 && !failed) {
      const batch = queue.splice(0, mqttLimits.batchItems);
      unsettled.push(batch);
      const running = submit(batch, previous);
      previous = running;
      inFlight.push(
        running.then(
          () => void unsettled.splice(unsettled.indexOf(batch), 1),
          (error: unknown) => {
            if (failed) return;
            failed = true;
            logger.error({ err: error, items: batch.length }, 'mqtt intake: a batch did not commit; its publishers are to send it again');
            // This batch, those after it (they wait for it, and fail), and what is queued; one before it may still commit.
            const lost = [...unsettled.splice(unsettled.indexOf(batch)).flat(), ...queue];
            queue = [];
            options.failed(lost);
          },
        ),
      );
      if (inFlight.length >= mqttLimits.batchesInFlight) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }

  async function submit(batch: readonly T[], turn: Promise<void>): Promise<void> {
    const checked = batch.map(check);
    // The topic names the device's warehouse: checked against the device's registration.
    const named = checked.flatMap((entry) => (entry.kind === 'item' && entry.claimedDevice !== undefined ? [entry.claimedDevice] : []));
    const warehouses = named.length === 0 ? new Map<string, string>() : await options.devices.warehouses(named);
    const results = new Map<T, ResultMessage>();
    const groups = new Map<string, { message: T; item: unknown; seq: number | undefined }[]>();
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
      const submittedBy = entry.message.publishedBy ?? options.serviceId;
      const group = groups.get(submittedBy) ?? [];
      group.push({ message: entry.message, item: entry.item, seq: entry.seq });
      groups.set(submittedBy, group);
    }
    // One transaction per publishing identity (usually one): each write is recorded under who made it.
    for (const [submittedBy, group] of groups) {
      const requestId = `mqtt-${randomUUID()}`;
      const topics = [...new Set(group.map(({ message }) => message.topic))];
      // One entry per topic, in one statement: the transaction holds the devices' locks (and PGlite's one connection).
      const record = (tx: Queryable): Promise<void> =>
        options.audit.appendAll(
          topics.map((topic) => ({ requestId, identityId: submittedBy, method: 'MQTT', path: topic, txName: 'SubmitEvidence', txId: null, blockNumber: null, status: 0, idempotencyKey: null })),
          tx,
        );
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
    const written: Promise<void>[] = [];
    for (const message of batch) {
      const result = results.get(message);
      const sent = result === undefined ? undefined : publishResult(message, result);
      if (sent !== undefined) written.push(sent);
    }
    await Promise.all(written);
    logger.debug({ items: batch.length, groups: groups.size }, 'mqtt intake: batch committed');
    // In the order received, as MQTT wants PUBACKs sent.
    for (const message of batch) message.acknowledge();
  }

  /** A message's item, or why it has a result before the intake sees it. */
  function check(message: T): Checked<T> {
    const address = parseEvidenceTopic(message.topic);
    const refuse = (code: ItemRejectionCode, text: string, seq?: number): Checked<T> => ({ kind: 'refused', message, seq, code, text });
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
    const { deviceId: claimedDevice, seq } = claimsOf(item);
    // The intake refuses a whole batch that nests too deep; here it is one item's fault.
    if (jsonDepth(item) > evidenceLimits.bodyDepth) return refuse('MALFORMED_ITEM', `an item nests at most ${evidenceLimits.bodyDepth.toString()} levels`, seq);
    if (claimedDevice !== undefined && claimedDevice !== address.deviceId) {
      return refuse('TOPIC_MISMATCH', `the envelope's deviceId is ${claimedDevice}; the topic names ${address.deviceId}`, seq);
    }
    return { kind: 'item', message, address, item, seq, claimedDevice };
  }

  /** Publishes a result where the publisher asked for it (MQTT 5 response topic) or on its device's result topic. */
  function publishResult(message: T, result: ResultMessage): Promise<void> | undefined {
    const asked = message.responseTopic;
    // A response topic on an evidence topic would feed the result back to the intake as an item.
    const usable = asked !== undefined && asked !== '' && parseEvidenceTopic(asked) === undefined && !/[+#]/.test(asked);
    const address = parseEvidenceTopic(message.topic);
    const topic = usable ? asked : address === undefined ? undefined : resultTopic(address);
    return topic === undefined ? undefined : options.publish(message, topic, JSON.stringify(result), message.correlationData);
  }

  return {
    push(message) {
      if (closing) return;
      queue.push(message);
      schedule();
    },
    discard() {
      queue = [];
    },
    idle: () => queue.length === 0 && draining === undefined,
    async close() {
      closing = true;
      if (queue.length > 0) schedule();
      while (draining !== undefined) await draining;
      clearTimeout(timer);
    },
  };
}

const seqOf = (seq: number | undefined): { readonly seq?: number } => (seq === undefined ? {} : { seq });
