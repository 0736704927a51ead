import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startEventHub } from '../../src/modules/events/hub.js';
import { appendEvents, readEvents, type NewEvent } from '../../src/modules/events/outbox.js';
import { streamEvents, type EventSink, type OpenStream, type StreamStats } from '../../src/modules/events/stream.js';
import { systemClock } from '../../src/platform/clock.js';
import { testDatabases, useDatabase } from '../support/postgres.js';
import { uid } from '../http/helpers.js';

const event = (overrides: Partial<NewEvent> = {}): NewEvent => ({
  id: uid('evt'),
  type: 'lot.registered',
  occurredAt: new Date(),
  object: { type: 'lot', id: uid('LOT') },
  audience: ['CustodianMSP'],
  data: { note: 'x' },
  ...overrides,
});

for (const target of await testDatabases()) {
  describe(`The events outbox on ${target.name}`, function () {
    this.timeout(120_000);
    const db = useDatabase(target);

    it('holds the events of committed transactions only, each id once, in the order they were appended', async () => {
      const before = (await readEvents(db(), { after: undefined, limit: 100_000 })).at(-1)?.position;
      const kept = [event(), event(), event()];
      await db().transaction((tx) => appendEvents(tx, kept));
      await db()
        .transaction(async (tx) => {
          await appendEvents(tx, [event({ id: 'rolled-back' })]);
          throw new Error('the change failed');
        })
        .catch(() => undefined);
      // The same change told again (a projection applying a block twice) is not told twice.
      await db().transaction((tx) => appendEvents(tx, [kept[0] ?? event()]));
      const read = await readEvents(db(), { after: before, limit: 100 });
      expect(read.map((each) => each.id)).to.deep.equal(kept.map((each) => each.id));
    });

    it('gives a party only what its audience names, and `*` events to everyone', async () => {
      const before = (await readEvents(db(), { after: undefined, limit: 100_000 })).at(-1)?.position;
      const mine = event({ audience: ['BorrowerMSP/alice', 'CustodianMSP'] });
      const public_ = event({ type: 'checkpoint.anchored', audience: ['*'] });
      await db().transaction((tx) => appendEvents(tx, [event({ audience: ['BorrowerMSP/bob'] }), mine, public_]));
      const alice = await readEvents(db(), { after: before, limit: 100, party: 'BorrowerMSP/alice' });
      expect(alice.map((each) => each.id)).to.deep.equal([mine.id, public_.id]);
      const typed = await readEvents(db(), { after: before, limit: 100, party: 'BorrowerMSP/alice', types: ['checkpoint.anchored'] });
      expect(typed.map((each) => each.id)).to.deep.equal([public_.id]);
    });

    if (target.kind === 'postgres') {
      it('never lets a reader pass an event whose transaction is still running: a later read never returns an earlier event', async () => {
        const start = (await readEvents(db(), { after: undefined, limit: 100_000 })).at(-1)?.position;
        const first = event({ id: uid('slow') });
        const second = event({ id: uid('fast') });
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => (release = resolve));
        let appended: () => void = () => undefined;
        const firstAppended = new Promise<void>((resolve) => (appended = resolve));
        // The slow transaction takes its id first, then waits; the fast one appends and commits meanwhile.
        const slow = db().transaction(async (tx) => {
          await appendEvents(tx, [first]);
          appended();
          await held;
        });
        await firstAppended;
        await db().transaction((tx) => appendEvents(tx, [second]));
        const whileRunning = await readEvents(db(), { after: start, limit: 100 });
        expect(whileRunning.map((each) => each.id), 'the committed event waits behind the running transaction').to.deep.equal([]);
        release();
        await slow;
        const after = await readEvents(db(), { after: start, limit: 100 });
        expect(after.map((each) => each.id)).to.deep.equal([first.id, second.id]);
      });
    }

    it("drops a stream client that stops reading, and never buffers more than a socket's worth for it", async () => {
      const hub = await startEventHub({ db: db(), clock: systemClock, logger: pino({ level: 'silent' }), pollMs: 50, ringSize: 10_000 });
      try {
        // A backlog of 4 MB for one party.
        const big = 'x'.repeat(4_000);
        for (let batch = 0; batch < 10; batch++) {
          await db().transaction((tx) => appendEvents(tx, Array.from({ length: 100 }, () => event({ audience: ['LenderMSP'], data: { big } }))));
        }
        // A client that took 64 KB and then stopped reading: its writes are never acknowledged.
        let accepted = 0;
        const socket = new Writable({
          highWaterMark: 16 * 1024,
          write(chunk: Buffer, _encoding, callback) {
            accepted += chunk.length;
            if (accepted < 64 * 1024) callback();
          },
        });
        const sink = Object.assign(socket, { writeHead: () => sink, flushHeaders: () => undefined }) as unknown as EventSink;
        const stats: StreamStats = { open: 0, dropped: 0, maxBufferedBytes: 0 };
        const open = new Set<OpenStream>();
        const started = Date.now();
        await streamEvents(sink, { party: 'LenderMSP', types: undefined, after: undefined }, { db: db(), hub, clock: systemClock, slowClientMs: 300 }, stats, open);
        expect(stats.dropped).to.equal(1);
        expect(stats.open).to.equal(0);
        expect(open.size).to.equal(0);
        expect(socket.destroyed).to.equal(true);
        // Bounded: the socket's buffer and one message, not the 4 MB backlog.
        expect(stats.maxBufferedBytes).to.be.below(16 * 1024 + 8 * 1024);
        expect(accepted).to.be.below(128 * 1024);
        expect(Date.now() - started).to.be.below(30_000);
      } finally {
        await hub.stop();
      }
    });
  });
}
