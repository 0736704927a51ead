import { lot as lotSchema } from '@wr/chaincode/model';
import { receiptPage, receiptView } from '@wr/chaincode/responses';
import { expect } from 'chai';
import { z } from 'zod';
import { StoreError } from '../../src/db/errors.js';
import type { Database, Queryable } from '../../src/db/database.js';
import {
  ProjectionEventError,
  startProjection,
  type Projection,
  type ProjectionOptions,
  type ProjectionReader,
} from '../../src/modules/receipts/projection.js';
import { receiptQueries } from '../../src/modules/receipts/receipt-queries.js';
import { int8 } from '../../src/db/rows.js';
import type { LedgerEvent, LedgerPort } from '../../src/ledger/port.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { testDatabases, useDatabase } from '../support/postgres.js';
import { draftJson, issue, lotJson, openRegistryLedger, pledgeJson, type RegistryLedger } from './registry-ledger.js';

const receiptRows = z.array(
  z.object({
    id: z.string(),
    lot_id: z.string(),
    owner_msp: z.string(),
    owner_id: z.string(),
    status: z.string(),
    quantity: z.string(),
    pledge_lender: z.string().nullable(),
    pledge_status: z.string().nullable(),
    frozen: z.boolean(),
    parent_id: z.string().nullable(),
    updated_tx: z.string(),
    document: z.unknown(),
  }),
);
const lotRows = z.array(z.object({ id: z.string(), quantity: z.string(), receipted_quantity: z.string(), document: z.unknown() }));
const eventRows = z.array(
  z.object({ block_number: int8, tx_index: z.number(), tx_id: z.string(), event_name: z.string(), recorded_at: z.date() }),
);

/** Lots 1-2 with receipts in several states: R4 is only ever touched here. */
async function firstBatch(world: RegistryLedger): Promise<void> {
  await world.submit('clerk', 'RegisterLot', lotJson('LOT1', 'WH1', '120'));
  await world.submit('clerk', 'RegisterLot', lotJson('LOT2', 'WH2', '50'));
  await issue(world, 'R1', 'LOT1', 'alice', '60');
  await issue(world, 'R2', 'LOT1', 'bob', '40');
  await issue(world, 'R3', 'LOT2', 'alice', '50');
  await world.submit('clerk', 'DraftReceipt', draftJson('R4', 'LOT1', 'bob', '20'));
  await world.submit('alice', 'RequestPledge', 'R1', pledgeJson('LN-1'));
  await world.submit('officer', 'AcceptPledge', 'R1', '{}');
  await world.submit('alice', 'RequestPledge', 'R3', pledgeJson('LN-2'));
}

/** Splits, a transfer, a partial release, a rejected pledge, a shortfall that freezes R3, a cancelled draft. */
async function secondBatch(world: RegistryLedger): Promise<void> {
  await world.submit('bob', 'SplitReceipt', 'R2', '["10","30"]');
  await world.submit('bob', 'TransferOwnership', 'R2.1', 'alice');
  await world.submit('officer', 'ReleasePledge', 'R1', '20');
  await world.submit('officer', 'RejectPledge', 'R3', 'collateral outside our region');
  await world.submit('supervisor', 'RecordStockCount', 'LOT2', '45', 'count-1');
  await world.submit('clerk', 'RegisterLot', lotJson('LOT3', 'WH1', '10'));
  await world.submit('clerk', 'DraftReceipt', draftJson('R5', 'LOT3', 'alice', '10'));
  await world.submit('clerk', 'CancelDraft', 'R5', 'drafted in error');
}

/** Records which receipts and lots the projection reads. */
function spyingReader(reader: ProjectionReader, reads: string[]): ProjectionReader {
  return {
    receipt: (id) => {
      reads.push(`receipt ${id}`);
      return reader.receipt(id);
    },
    lot: (id) => {
      reads.push(`lot ${id}`);
      return reader.lot(id);
    },
  };
}

for (const target of await testDatabases()) {
  describe(`ledger projection (${target.name})`, function () {
    this.timeout(120_000);
    const db = useDatabase(target);
    let world: RegistryLedger;
    let projection: Projection | undefined;
    let errors: unknown[] = [];
    /** The clock of the projection last started: its retries and timeouts wait on it, and only the test moves it. */
    let clock: ManualClock;

    before(async () => {
      world = await openRegistryLedger();
    });
    afterEach(async () => {
      await projection?.stop();
      projection = undefined;
    });
    after(async () => {
      await world.close();
    });

    function start(
      reader: ProjectionReader = world.reader,
      ledger: Pick<LedgerPort, 'events'> = world.ledger,
      more: Partial<Pick<ProjectionOptions, 'db' | 'batch'>> = {},
    ): Projection {
      errors = [];
      clock = new ManualClock();
      projection = startProjection({
        db: db(),
        ledger,
        reader,
        onError: (error) => errors.push(error),
        retry: { initialDelayMs: 250, maxDelayMs: 1_000 },
        clock,
        ...more,
      });
      return projection;
    }

    async function stop(): Promise<void> {
      await projection?.stop();
      projection = undefined;
    }

    /** The test database, counting the transactions run on it. */
    function countingTransactions(): { readonly db: Database; readonly count: () => number } {
      const inner = db();
      let count = 0;
      const counting: Database = {
        kind: inner.kind,
        query: <R>(sql: string, params?: readonly unknown[]) => inner.query<R>(sql, params),
        transaction: <T>(work: (tx: Queryable) => Promise<T>) => {
          count++;
          return inner.transaction(work);
        },
        ping: () => inner.ping(),
        close: () => inner.close(),
      };
      return { db: counting, count: () => count };
    }

    /** Every receipt and lot row is what the ledger returns now, and the ledger has no receipt the table lacks. */
    async function expectTablesMatchLedger(lotIds: readonly string[]): Promise<void> {
      const rows = receiptRows.parse(
        await db().query(
          `SELECT id, lot_id, owner_msp, owner_id, status, quantity::text AS quantity, pledge_lender, pledge_status, frozen,
                  parent_id, updated_tx, document
           FROM receipts ORDER BY id`,
        ),
      );
      const onLedger = receiptPage.parse(await world.evaluate('custodianAuditor', 'ListReceipts', '{"limit":1000}'));
      expect(rows.map((row) => row.id)).to.deep.equal(onLedger.items.map((item) => item.id));
      for (const row of rows) {
        const current = receiptView.parse(await world.evaluate('custodianAuditor', 'GetReceipt', row.id));
        expect(row.document, `receipt ${row.id}`).to.deep.equal(current);
        expect(row, `columns of ${row.id}`).to.deep.include({
          lot_id: current.lotId,
          owner_msp: current.owner.mspId,
          owner_id: current.owner.id,
          status: current.status,
          quantity: current.quantity,
          pledge_lender: current.pledge?.lender ?? null,
          pledge_status: current.pledge?.status ?? null,
          frozen: current.frozen,
          parent_id: current.parentId,
          updated_tx: current.lastTxId,
        });
      }
      const lots = lotRows.parse(
        await db().query('SELECT id, quantity::text AS quantity, receipted_quantity::text AS receipted_quantity, document FROM lots ORDER BY id'),
      );
      expect(lots.map((row) => row.id)).to.deep.equal([...lotIds].sort());
      for (const row of lots) {
        const current = lotSchema.parse(await world.evaluate('custodianAuditor', 'GetLot', row.id));
        expect(row.document, `lot ${row.id}`).to.deep.equal(current);
        expect(row).to.deep.include({ quantity: current.quantity, receipted_quantity: current.receiptedQuantity });
      }
    }

    async function projectedEvents(): Promise<z.infer<typeof eventRows>> {
      return eventRows.parse(
        await db().query('SELECT block_number, tx_index, tx_id, event_name, recorded_at FROM ledger_events ORDER BY block_number, tx_index'),
      );
    }

    /** ledger_events holds each of the ledger's events exactly once, and nothing else. */
    async function expectEventsOnce(): Promise<void> {
      const onLedger = (await world.events()).map((event) => ({
        block_number: event.blockNumber,
        tx_index: event.txIndex,
        tx_id: event.txId,
        event_name: event.eventName,
      }));
      const projected = (await projectedEvents()).map(({ recorded_at: _recordedAt, ...rest }) => rest);
      expect(projected).to.deep.equal(onLedger);
    }

    it('projects the ledger: every receipt and lot row is what GetReceipt and GetLot return now', async () => {
      await firstBatch(world);
      await start().waitFor(world.lastBlock());
      await expectTablesMatchLedger(['LOT1', 'LOT2']);
      await expectEventsOnce();
      expect(await projection?.position()).to.deep.equal({ blockNumber: world.lastBlock(), txIndex: 0 });
      expect(errors).to.deep.equal([]);
    });

    it('a restarted projection resumes from its checkpoint: it applies only what was committed while it was down', async () => {
      const stopped = await start().position();
      await projection?.stop();
      projection = undefined;
      const before = await projectedEvents();
      await secondBatch(world);
      const reads: string[] = [];
      await start(spyingReader(world.reader, reads)).waitFor(world.lastBlock());

      await expectTablesMatchLedger(['LOT1', 'LOT2', 'LOT3']);
      await expectEventsOnce();
      const after = await projectedEvents();
      expect(after.slice(0, before.length), 'earlier events are not written again').to.deep.equal(before);
      expect(after[before.length]?.block_number).to.equal((stopped?.blockNumber ?? 0n) + 1n);
      expect(reads, 'nothing only the earlier events named is read again').to.not.include('receipt R4');
      expect(reads).to.include.members(['receipt R2.1', 'receipt R2.2', 'receipt R1.1', 'receipt R1.2', 'receipt R5', 'lot LOT3']);
      expect(errors).to.deep.equal([]);
    });

    it('projecting again from scratch over a projected database changes nothing and counts nothing twice', async () => {
      const snapshot = async (): Promise<unknown> => ({
        events: await projectedEvents(),
        receipts: await db().query('SELECT * FROM receipts ORDER BY id'),
        lots: await db().query('SELECT * FROM lots ORDER BY id'),
        counts: await receiptQueries(db()).countsByStatus(),
      });
      const before = await snapshot();
      const position = await start().position();
      await projection?.stop();
      await db().query('DELETE FROM projection_checkpoints');

      await start().waitFor(world.lastBlock());
      expect(await snapshot()).to.deep.equal(before);
      expect(await projection?.position()).to.deep.equal(position);
      await expectEventsOnce();
    });

    it('read-your-writes: once waitFor(block) resolves, that block is projected, also when transactions share it', async () => {
      start();
      const ids = ['LOT10', 'LOT11', 'LOT12', 'LOT13', 'LOT14', 'LOT15'];
      const results = await Promise.all(
        ids.map((id) => world.ledger.submit(world.cast.clerk, 'RegisterLot', [lotJson(id, 'WH3', '5')])),
      );
      // Latest first: a waitFor that resolved on the first event of a shared block would miss the last one.
      for (const [index, result] of [...results.entries()].reverse()) {
        await projection?.waitFor(result.blockNumber);
        const found = await db().query('SELECT id FROM lots WHERE id = $1', [ids[index]]);
        expect(found, `${ids[index] ?? ''} once waitFor(${result.blockNumber.toString()}) resolved`).to.have.length(1);
      }
    });

    it('an event that cannot be projected is retried after 250, 500, 1000, 1000 ms and reported; nothing after it is applied first', async () => {
      let failing = true;
      const flaky: ProjectionReader = {
        receipt: (id) => (failing && id === 'R6' ? Promise.reject(new Error('the ledger query timed out')) : world.reader.receipt(id)),
        lot: (id) => world.reader.lot(id),
      };
      const current = start(flaky);
      await current.waitFor(world.lastBlock());
      const before = await current.position();
      const drafted = await world.ledger.submit(world.cast.clerk, 'DraftReceipt', [draftJson('R6', 'LOT3', 'bob', '10')]);
      await world.submit('clerk', 'RegisterLot', lotJson('LOT4', 'WH1', '5'));

      const waits: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt++) {
        const [sleep] = await clock.sleeping();
        waits.push(sleep?.ms ?? -1);
        expect(errors, `reported by attempt ${attempt.toString()}`).to.have.length(attempt);
        if (attempt < 4) clock.advance(sleep?.ms ?? 0);
      }
      expect(waits, 'doubling up to maxDelayMs').to.deep.equal([250, 500, 1_000, 1_000]);
      expect(await current.position(), 'the checkpoint waits at the failing event').to.deep.equal(before);
      expect((await projectedEvents()).filter((row) => row.block_number >= drafted.blockNumber)).to.deep.equal([]);
      for (const [index, error] of errors.entries()) {
        expect(error).to.be.instanceOf(ProjectionEventError);
        expect(error).to.have.property('attempt', index + 1);
        expect(error).to.have.nested.property('event.txId', drafted.txId);
      }

      // Not caught up while an event fails: caughtUp gives up after its timeout, on the same clock.
      const notCaughtUp = current.caughtUp(500).catch((error: unknown) => error);
      expect((await clock.sleeping(2)).map((sleep) => sleep.ms)).to.deep.equal([500, 1_000]);
      clock.advance(500);
      expect(await notCaughtUp).to.be.instanceOf(StoreError).and.to.have.property('code', 'PROJECTION_TIMEOUT');

      failing = false;
      clock.advance(500);
      await current.waitFor(world.lastBlock());
      expect(errors, 'the fifth attempt succeeded').to.have.length(4);
      expect(await db().query("SELECT id FROM receipts WHERE id = 'R6'")).to.have.length(1);
      await expectTablesMatchLedger(['LOT1', 'LOT2', 'LOT3', 'LOT4', 'LOT10', 'LOT11', 'LOT12', 'LOT13', 'LOT14', 'LOT15']);
      await expectEventsOnce();
    });

    it('a broken event stream is subscribed to again after 250, 500, 1000 ms; an event applied resets the backoff', async () => {
      let refusals = 3;
      let breakNext = false;
      const failing = (message: string): AsyncIterator<LedgerEvent> => ({ next: () => Promise.reject(new Error(message)) });
      const unreliable: Pick<LedgerPort, 'events'> = {
        events(fromBlock, signal) {
          if (refusals-- > 0) return { [Symbol.asyncIterator]: () => failing('the peer is unreachable') };
          const inner = world.ledger.events(fromBlock, signal)[Symbol.asyncIterator]();
          const next = (): Promise<IteratorResult<LedgerEvent>> => {
            if (!breakNext) return inner.next();
            breakNext = false;
            return failing('the stream broke').next();
          };
          return { [Symbol.asyncIterator]: () => ({ next }) };
        },
      };
      const current = start(world.reader, unreliable);
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [sleep] = await clock.sleeping();
        waits.push(sleep?.ms ?? -1);
        clock.advance(sleep?.ms ?? 0);
      }
      expect(waits).to.deep.equal([250, 500, 1_000]);
      await current.caughtUp();
      expect(errors.map((error) => (error instanceof Error ? error.message : error))).to.deep.equal(Array(3).fill('the peer is unreachable'));

      breakNext = true;
      await world.submit('clerk', 'RegisterLot', lotJson('LOT30', 'WH3', '5'));
      expect((await clock.sleeping())[0]?.ms, 'the stream broke after LOT30 was applied: the backoff starts over').to.equal(250);
      expect(await db().query("SELECT id FROM lots WHERE id = 'LOT30'")).to.have.length(1);
      expect(errors.at(-1)).to.have.property('message', 'the stream broke');
      clock.advance(250);
      await current.waitFor(world.lastBlock());
      await expectEventsOnce();
    });

    it('caughtUp resolves once everything committed is projected, also on a ledger whose last block has no events', async () => {
      const empty = await openRegistryLedger();
      try {
        const overEmpty = startProjection({ db: db(), ledger: empty.ledger, reader: empty.reader });
        await overEmpty.caughtUp(5_000);
        await overEmpty.stop();
      } finally {
        await empty.close();
      }
      const current = start();
      await world.ledger.submit(world.cast.clerk, 'RegisterLot', [lotJson('LOT20', 'WH3', '5')]);
      await current.caughtUp();
      expect(await db().query("SELECT id FROM lots WHERE id = 'LOT20'")).to.have.length(1);
    });

    it('waitFor gives up with PROJECTION_TIMEOUT once its timeout has passed on the clock, and PROJECTION_STOPPED on stop', async () => {
      const current = start();
      await current.waitFor(world.lastBlock());
      const timedOut = current.waitFor(world.lastBlock() + 5n, 50).catch((error: unknown) => error);
      expect(await clock.sleeping()).to.deep.equal([{ ms: 50, until: new Date(clock.now().getTime() + 50) }]);
      clock.advance(49);
      expect(clock.pending(), 'at 49 ms').to.have.length(1);
      clock.advance(1);
      expect(await timedOut).to.be.instanceOf(StoreError).and.to.have.property('code', 'PROJECTION_TIMEOUT');
      const pending = current.waitFor(world.lastBlock() + 5n).catch((error: unknown) => error);
      expect((await clock.sleeping())[0]?.ms, 'the default timeout').to.equal(10_000);
      await current.stop();
      expect(await pending).to.be.instanceOf(StoreError).and.to.have.property('code', 'PROJECTION_STOPPED');
      expect(clock.pending(), 'stop() leaves nothing asleep').to.deep.equal([]);
      expect(await current.waitFor(0n).catch((error: unknown) => error), 'a block long projected').to.equal(undefined);
    });
    it('applies what was committed while it was stopped in batches, leaving exactly what one event per transaction leaves', async () => {
      await start().caughtUp();
      await stop();
      // Many events, several naming the same receipt, some changing who sees it (transfer, pledge, release), a shortfall.
      for (let n = 0; n < 6; n++) {
        const lotId = `LOT-B${n.toString()}`;
        const receiptId = `RB${n.toString()}`;
        await world.submit('clerk', 'RegisterLot', lotJson(lotId, 'WH1', '100'));
        await issue(world, receiptId, lotId, 'alice', '40');
        await world.submit('alice', 'TransferOwnership', receiptId, 'bob');
        await world.submit('bob', 'SplitReceipt', receiptId, '["10","30"]');
        await world.submit('bob', 'RequestPledge', `${receiptId}.1`, pledgeJson(`LN-B${n.toString()}`));
        await world.submit('officer', 'AcceptPledge', `${receiptId}.1`, '{}');
        await world.submit('officer', 'ReleasePledge', `${receiptId}.1`, '4');
      }
      await world.submit('supervisor', 'RecordStockCount', 'LOT-B0', '30', 'count-b');
      const events = (await world.events()).length;
      expect(events, 'more events than one default batch holds would make the count below wrong').to.be.within(40, 200);

      const snapshot = async (): Promise<unknown> => ({
        ledgerEvents: await db().query('SELECT block_number, tx_index, tx_id, event_name, payload, tx_timestamp FROM ledger_events ORDER BY block_number, tx_index'),
        receipts: await db().query('SELECT * FROM receipts ORDER BY id'),
        lots: await db().query('SELECT * FROM lots ORDER BY id'),
        // The outbox in commit order, without what only says when and in which transaction a row was written.
        outbox: await db().query('SELECT id, type, occurred_at, object_type, object_id, audience, data FROM events ORDER BY tx, seq'),
        checkpoint: await projection?.position(),
      });
      const fromScratch = async (batch: ProjectionOptions['batch']): Promise<{ snapshot: unknown; transactions: number }> => {
        for (const table of ['events', 'receipt_audiences', 'ledger_events', 'receipts', 'lots', 'projection_checkpoints']) await db().query(`DELETE FROM ${table}`);
        const counting = countingTransactions();
        await start(world.reader, world.ledger, { db: counting.db, batch }).caughtUp();
        const result = { snapshot: await snapshot(), transactions: counting.count() };
        expect(errors).to.deep.equal([]);
        await stop();
        return result;
      };

      const perEvent = await fromScratch({ maxEvents: 1 });
      expect(perEvent.transactions, 'one transaction per event').to.equal(events);
      expect(perEvent.snapshot).to.have.nested.property('checkpoint.blockNumber', world.lastBlock());
      expect(perEvent.snapshot, 'the outbox is part of what is compared').to.have.nested.property('outbox.length').above(events / 2);
      const batched = await fromScratch(undefined);
      expect(batched.transactions, 'every event in one transaction').to.equal(1);
      expect(batched.snapshot).to.deep.equal(perEvent.snapshot);
      const small = await fromScratch({ maxEvents: 7 });
      expect(small.transactions, 'batches of 7').to.equal(Math.ceil(events / 7));
      expect(small.snapshot).to.deep.equal(perEvent.snapshot);
      await expectEventsOnce();
    });

    it('a batch failing on one event: the retry applies the events before it, then that event alone; each failure names it', async () => {
      await start().caughtUp();
      await stop();
      await world.submit('clerk', 'RegisterLot', lotJson('LOT-P', 'WH1', '100'));
      const beforeFailing = await world.ledger.submit(world.cast.clerk, 'RegisterLot', [lotJson('LOT-Q', 'WH1', '100')]);
      const failingTx = await world.ledger.submit(world.cast.clerk, 'DraftReceipt', [draftJson('RP1', 'LOT-P', 'bob', '10')]);
      await world.submit('clerk', 'RegisterLot', lotJson('LOT-R', 'WH1', '5'));
      let failing = true;
      const flaky: ProjectionReader = {
        receipt: (id) => (failing && id === 'RP1' ? Promise.reject(new Error('the ledger query timed out')) : world.reader.receipt(id)),
        lot: (id) => world.reader.lot(id),
      };
      const current = start(flaky);
      const lotsNamed = async (): Promise<unknown[]> => db().query("SELECT id FROM lots WHERE id IN ('LOT-P', 'LOT-Q', 'LOT-R') ORDER BY id");

      const [first] = await clock.sleeping();
      expect(first?.ms).to.equal(250);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(ProjectionEventError).and.to.deep.include({ attempt: 1, batchSize: 4 });
      expect(errors[0]).to.have.nested.property('event.txId', failingTx.txId);
      expect(await lotsNamed(), 'the failed batch wrote nothing').to.deep.equal([]);

      clock.advance(250);
      const [second] = await clock.sleeping();
      expect(second?.ms, 'the events before the failing one were applied: the backoff starts over').to.equal(250);
      expect(await current.position()).to.deep.equal({ blockNumber: beforeFailing.blockNumber, txIndex: 0 });
      expect(await lotsNamed()).to.deep.equal([{ id: 'LOT-P' }, { id: 'LOT-Q' }]);
      expect(errors).to.have.length(2);
      expect(errors[1]).to.deep.include({ attempt: 2, batchSize: 2 });

      clock.advance(250);
      const [third] = await clock.sleeping();
      expect(third?.ms).to.equal(500);
      expect(errors).to.have.length(3);
      expect(errors[2]).to.deep.include({ attempt: 3, batchSize: 1 });
      expect(errors[2]).to.have.nested.property('event.txId', failingTx.txId);
      expect(await current.position(), 'nothing after the failing event is applied first').to.deep.equal({ blockNumber: beforeFailing.blockNumber, txIndex: 0 });

      failing = false;
      clock.advance(500);
      await current.caughtUp();
      expect(errors).to.have.length(3);
      expect(await lotsNamed()).to.have.length(3);
      expect(await db().query("SELECT id FROM receipts WHERE id = 'RP1'")).to.have.length(1);
      await expectEventsOnce();
    });
  });
}
