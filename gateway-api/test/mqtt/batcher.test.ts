import { expect } from 'chai';
import { pino } from 'pino';
import { mqttLimits, startBatcher, type Incoming } from '../../src/modules/mqtt/batcher.js';
import type { BatchResult, ReadingIntake } from '../../src/modules/readings/index.js';

/**
 * The batcher's order and failure rules against an intake held in memory (the intake's own checks are the evidence
 * and MQTT suites' business): PUBACKs in the order received, and a batch that does not commit acknowledges nothing of
 * itself or of what came after it.
 */

const topic = 'wr/WH-1/DEV-1/evidence';
const payload = (seq: number): Buffer => Buffer.from(JSON.stringify({ envelope: { deviceId: 'DEV-1', seq }, signature: 'x' }));

/** An intake that accepts everything after a delay (shorter for later batches, to tempt an out-of-order commit), failing the calls `failing` names. */
function memoryIntake(failing: ReadonlySet<number> = new Set()) {
  const log: string[] = [];
  let calls = 0;
  const readings: Pick<ReadingIntake, 'submitBatch'> = {
    async submitBatch(items, _context, options = {}) {
      const call = ++calls;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, 30 - call * 10)));
      await options.turn;
      if (failing.has(call)) throw new Error(`batch ${call.toString()} did not commit`);
      log.push(`commit ${items.length.toString()}`);
      const result: BatchResult = {
        receivedAt: new Date(0).toISOString(),
        accepted: items.length,
        rejected: 0,
        items: items.map((_, index) => ({ status: 'accepted', id: `ev_${call.toString()}_${index.toString()}`, leafHash: '0x00', leafIndex: index })),
      };
      return result;
    },
  };
  return { log, readings };
}

function harness(failing?: ReadonlySet<number>, writeMs?: number) {
  const { log, readings } = memoryIntake(failing);
  const acknowledged: number[] = [];
  const published: number[] = [];
  const failed: number[][] = [];
  const written = new Set<number>();
  const batcher = startBatcher<Incoming & { readonly seq: number }>({
    readings,
    devices: { warehouses: () => Promise.resolve(new Map([['DEV-1', 'WH-1']])) },
    audit: { appendAll: () => Promise.resolve() },
    serviceId: 'service.mqtt',
    logger: pino({ level: 'silent' }),
    publish: (message) => {
      published.push(message.seq);
      if (writeMs === undefined) return undefined;
      return new Promise<void>((resolve) => setTimeout(() => resolve(void written.add(message.seq)), writeMs));
    },
    failed: (items) => failed.push(items.map((item) => item.seq)),
  });
  const push = (from: number, to: number): void => {
    for (let seq = from; seq <= to; seq++) batcher.push({ topic, payload: payload(seq), seq, acknowledge: () => acknowledged.push(writeMs === undefined || written.has(seq) ? seq : -seq) });
  };
  const settled = async (): Promise<void> => {
    while (!batcher.idle()) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { batcher, log, acknowledged, published, failed, push, settled };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('The MQTT batcher', () => {
  it(`commits ${mqttLimits.batchItems.toString()} items at most per batch, and publishes and acknowledges in the order received though later batches finish checking first`, async () => {
    const { batcher, log, acknowledged, published, push, settled } = harness();
    push(1, 450);
    await settled();
    expect(log).to.deep.equal(['commit 200', 'commit 200', 'commit 50']);
    expect(published).to.deep.equal(range(1, 450));
    expect(acknowledged).to.deep.equal(range(1, 450));
    await batcher.close();
  });

  it('acknowledges nothing of a batch that does not commit, nor of the batches after it or what is queued, and hands them all to the transport once', async () => {
    const { batcher, acknowledged, failed, push, settled } = harness(new Set([2]));
    push(1, 700);
    await settled();
    expect(acknowledged).to.deep.equal(range(1, 200));
    expect(failed).to.deep.equal([range(201, 700)]);
    // What comes after (the publishers' copies, on their new connections) goes through.
    push(201, 260);
    await settled();
    expect(acknowledged).to.deep.equal(range(1, 260));
    await batcher.close();
  });

  it("acknowledges an item only once its result has been written, when the transport says when that is", async () => {
    const { batcher, acknowledged, push, settled } = harness(undefined, 10);
    push(1, 250);
    await settled();
    // A negative seq would be a PUBACK sent before its result was written.
    expect(acknowledged).to.deep.equal(range(1, 250));
    await batcher.close();
  });

  it('on close submits what is queued, then takes nothing more', async () => {
    const { batcher, acknowledged, push } = harness();
    push(1, 10);
    await batcher.close();
    expect(acknowledged).to.deep.equal(range(1, 10));
    push(11, 12);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acknowledged).to.have.length(10);
  });
});
