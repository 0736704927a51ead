import type { AnchorClient } from '@wr/anchor';
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { checkpointStore, type CheckpointStore } from '../../src/modules/anchoring/checkpoint-store.js';
import { AnchoringError, LEASE_MS, startAnchoring, type Anchoring, type AnchoringOptions } from '../../src/modules/anchoring/worker.js';
import { leaves as leafLog } from '../../src/modules/leaves/index.js';
import { systemClock } from '../../src/platform/clock.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { testDatabases, useDatabase } from '../support/postgres.js';

const silent = pino({ level: 'silent' });
const hex = (text: string): string => `0x${createHash('sha256').update(text).digest('hex')}`;

/** A chain that anchors at once, or fails while `failure` is set. */
class FakeChain {
  failure: string | undefined;
  readonly client: AnchorClient = {
    signer: `0x${'1'.repeat(40)}`,
    contract: () => `0x${'2'.repeat(40)}`,
    chainId: () => Promise.resolve(31337),
    deploy: () => Promise.reject(new Error('the fake chain deploys nothing')),
    anchorCheckpoint: async (checkpoint, options) => {
      if (this.failure !== undefined) throw new Error(this.failure);
      const txHash = hex(`anchor ${checkpoint.root}`);
      await options?.onSent?.(txHash, checkpoint.seq);
      return { chainId: 31337, contract: `0x${'2'.repeat(40)}`, txHash, blockNumber: checkpoint.seq + 1, blockHash: hex(`block ${checkpoint.root}`), blockTimestamp: 0 };
    },
    findAnchor: () => Promise.resolve(null),
  };
}

for (const target of await testDatabases()) {
  describe(`anchoring worker on a manual clock: intervals, sizes, backoff, lease, settling (${target.name})`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);
    let day = 0;
    let leafNo = 0;
    let clock: ManualClock;
    let chain: FakeChain;
    let worker: Anchoring | undefined;
    let leaseCalls: number;
    let store: CheckpointStore;
    /** The first seq this test's checkpoints get (earlier tests' checkpoints stay in the database). */
    let firstSeq: number;

    beforeEach(async () => {
      // Each test's time starts a day after the last one's, after every checkpoint an earlier test cut.
      clock = new ManualClock(new Date(Date.UTC(2030, 0, ++day)));
      chain = new FakeChain();
      leaseCalls = 0;
      const inner = checkpointStore(db(), leafLog(db()));
      store = {
        ...inner,
        lease: (holder, ttlMs) => {
          leaseCalls++;
          return inner.lease(holder, ttlMs);
        },
      };
      firstSeq = ((await inner.list(1))[0]?.checkpoint.seq ?? -1) + 1;
    });
    afterEach(async () => {
      await worker?.stop();
      worker = undefined;
      // Leave no lease and no waiting leaf to the next test. The drain does not wait on time (settled() wakes it), so
      // the system clock only gives a failure to drain a timeout with a message.
      await store.release('gateway-b');
      const working = new FakeChain();
      const drain = startAnchoring({ ...options(), client: () => Promise.resolve(working.client), clock: systemClock });
      await drain.settled();
      await drain.stop();
    });

    const at = (ms: number): string => new Date(Date.UTC(2030, 0, day) + ms).toISOString();

    function options(): AnchoringOptions {
      return {
        store,
        client: () => Promise.resolve(chain.client),
        record: (checkpoint) => Promise.resolve(`ledger-tx-${checkpoint.seq.toString()}`),
        intervalMs: 3_000,
        maxLeaves: 100,
        logger: silent,
        holder: 'gateway-a',
        clock,
      };
    }

    function start(overrides: Partial<AnchoringOptions> = {}): Anchoring {
      worker = startAnchoring({ ...options(), ...overrides });
      return worker;
    }

    async function addLeaves(count: number): Promise<void> {
      const leaves = Array.from({ length: count }, () => {
        const recordJcs = JSON.stringify({ n: leafNo++ });
        return { id: `ev_worker_${leafNo.toString()}`, kind: 'document' as const, recordJcs, leafHash: hex(recordJcs), submittedBy: 'test', receivedAt: clock.now() };
      });
      await leafLog(db()).store().appendLeaves(leaves);
    }

    /** This test's checkpoints, oldest first. */
    async function cuts(): Promise<{ leafCount: number; createdAt: string; anchored: boolean; recorded: boolean }[]> {
      const all = await store.list(1_000);
      return all
        .filter((entry) => entry.checkpoint.seq >= firstSeq)
        .reverse()
        .map((entry) => ({ leafCount: entry.checkpoint.leafCount, createdAt: entry.checkpoint.createdAt, anchored: entry.anchor !== null, recorded: entry.ledgerTxId !== null }));
    }

    /** Moves the clock on by `ms` and waits until the worker is asleep again. */
    async function tick(ms: number): Promise<void> {
      clock.advance(ms);
      await clock.sleeping();
    }

    it('before the first checkpoint, the interval runs from the worker start: none is cut before intervalMs has passed', async () => {
      expect((await store.backlog()).lastCutAt, 'a database without checkpoints').to.equal(undefined);
      await addLeaves(2);
      const current = start();
      expect((await clock.sleeping())[0]?.ms, 'it looks for leaves every second').to.equal(1_000);
      await tick(1_000);
      await tick(1_000);
      expect(await cuts(), 'at 2 s').to.deep.equal([]);
      expect(current.status()).to.deep.include({ state: 'running', waitingLeaves: 2 });
      await tick(1_000);
      expect(await cuts(), 'at 3 s').to.deep.equal([{ leafCount: 2, createdAt: at(3_000), anchored: true, recorded: true }]);
      expect(current.status()).to.deep.include({ state: 'running', waitingLeaves: 0, lastAnchoredSeq: firstSeq });
    });

    it('a checkpoint is cut when intervalMs has passed since the last cut, not before', async () => {
      await addLeaves(1);
      const current = start();
      await current.settled();
      await clock.sleeping();
      expect(await cuts()).to.deep.equal([{ leafCount: 1, createdAt: at(0), anchored: true, recorded: true }]);
      await addLeaves(2);
      await tick(1_000);
      await tick(1_000);
      expect(await cuts(), 'at 2 s after the last cut').to.have.length(1);
      await tick(1_000);
      expect((await cuts())[1], 'at 3 s').to.deep.equal({ leafCount: 2, createdAt: at(3_000), anchored: true, recorded: true });
    });

    it('maxLeaves waiting are cut at once, whatever the interval; fewer wait, until a leaf more makes maxLeaves', async () => {
      const current = start({ intervalMs: 3_600_000, maxLeaves: 3 });
      await clock.sleeping();
      await addLeaves(7);
      await tick(1_000);
      const full = { leafCount: 3, createdAt: at(1_000), anchored: true, recorded: true };
      expect(await cuts(), 'at the first look, an hour before the interval').to.deep.equal([full, full]);
      expect(current.status().waitingLeaves).to.equal(1);
      await tick(1_000);
      expect(await cuts(), 'one leaf waits for the interval').to.have.length(2);
      await addLeaves(2);
      await tick(1_000);
      expect(await cuts()).to.deep.equal([full, full, { leafCount: 3, createdAt: at(3_000), anchored: true, recorded: true }]);
    });

    it('a failing chain backs off 500, 1000, 2000 ms … capped at 30 s, retrying the same checkpoint; a success resets it', async () => {
      chain.failure = 'the chain is unreachable';
      await addLeaves(1);
      const current = start({ maxLeaves: 1 });
      const waits: number[] = [];
      for (let attempt = 0; attempt < 8; attempt++) {
        const [sleep] = await clock.sleeping();
        waits.push(sleep?.ms ?? -1);
        expect(current.status()).to.deep.include({ state: 'failing', lastError: 'the chain is unreachable' });
        // The chain comes back for the attempt after the eighth wait.
        if (attempt === 7) chain.failure = undefined;
        clock.advance(sleep?.ms ?? 0);
      }
      expect(waits).to.deep.equal([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
      expect((await clock.sleeping())[0]?.ms, 'anchored, then idle').to.equal(1_000);
      expect(await cuts(), 'one checkpoint, cut once and anchored on the ninth attempt').to.deep.equal([{ leafCount: 1, createdAt: at(0), anchored: true, recorded: true }]);
      expect(current.status()).to.deep.include({ state: 'running', lastError: undefined });

      chain.failure = 'the chain is unreachable again';
      await addLeaves(1);
      await tick(1_000);
      expect(clock.pending()[0]?.ms, 'the backoff starts over').to.equal(500);
      expect(current.status()).to.deep.include({ state: 'failing', lastError: 'the chain is unreachable again' });
    });

    it('standby while another gateway holds the lease, asking again every LEASE_MS / 3; takes over once it is released', async () => {
      expect(await store.lease('gateway-b', 600_000)).to.equal(true);
      leaseCalls = 0;
      await addLeaves(1);
      const current = start({ maxLeaves: 1 });
      expect((await clock.sleeping())[0]?.ms).to.equal(LEASE_MS / 3);
      expect(current.status().state).to.equal('standby');
      clock.advance(LEASE_MS / 3 - 1);
      expect(clock.pending(), 'not yet asked again').to.have.length(1);
      expect(leaseCalls).to.equal(1);
      await tick(1);
      expect(leaseCalls, 'asked again').to.equal(2);
      expect(current.status().state).to.equal('standby');
      expect(await cuts(), 'nothing cut in standby').to.deep.equal([]);

      await store.release('gateway-b');
      await tick(LEASE_MS / 3);
      expect(current.status().state).to.equal('running');
      expect(await cuts()).to.deep.equal([{ leafCount: 1, createdAt: at(LEASE_MS * (2 / 3)), anchored: true, recorded: true }]);
    });

    it('settled() rejects with ANCHORING_TIMEOUT once its timeout has passed on the clock, saying why', async () => {
      await store.lease('gateway-b', 600_000);
      await addLeaves(1);
      const current = start();
      await clock.sleeping();
      const outcome = current.settled(5_000).then(
        () => 'settled',
        (error: unknown) => error,
      );
      expect((await clock.sleeping(2)).map((sleep) => sleep.ms), 'its timeout and the standby wait').to.deep.equal([5_000, LEASE_MS / 3]);
      clock.advance(4_999);
      expect(clock.pending(), 'at 4999 ms').to.have.length(2);
      clock.advance(1);
      const error = await outcome;
      expect(error).to.be.instanceOf(AnchoringError).and.to.have.property('code', 'ANCHORING_TIMEOUT');
      expect(error).to.have.property('message').that.matches(/within 5000 ms \(standby\)/);
    });

    it('settled() cuts and anchors every waiting leaf at once, the interval notwithstanding, with no time passing', async () => {
      const current = start({ intervalMs: 3_600_000 });
      await clock.sleeping();
      await addLeaves(5);
      await current.settled();
      expect(await cuts()).to.deep.equal([{ leafCount: 5, createdAt: at(0), anchored: true, recorded: true }]);
      expect(current.status()).to.deep.include({ waitingLeaves: 0 });
    });

    it('a round that counted the leaves before the last ones came in does not undo a settle asked for meanwhile', async () => {
      const inner = store;
      let hold: { readonly counted: () => void; readonly release: Promise<void> } | undefined;
      store = {
        ...inner,
        backlog: async () => {
          const backlog = await inner.backlog();
          const held = hold;
          hold = undefined;
          if (held !== undefined) {
            held.counted();
            await held.release;
          }
          return backlog;
        },
      };
      const current = start({ intervalMs: 3_600_000, maxLeaves: 3 });
      await clock.sleeping();
      let release = (): void => undefined;
      const counted = new Promise<void>((resolve) => {
        hold = { counted: resolve, release: new Promise<void>((go) => (release = go)) };
      });
      clock.advance(1_000);
      await counted;
      // This round has counted no leaf; seven come in and a settle is asked for before it goes on.
      await addLeaves(7);
      const settled = current.settled().then(() => 'settled');
      release();
      const outcome = await Promise.race([settled, clock.sleeping(2).then(() => 'asleep, the settle still waiting')]);
      expect(outcome).to.equal('settled');
      expect((await cuts()).map((cut) => cut.leafCount)).to.deep.equal([3, 3, 1]);
    });

    it('stop() ends the wait and releases the lease: another gateway can take it at once', async () => {
      const current = start();
      await clock.sleeping();
      expect(await store.lease('gateway-b', 60_000), 'held by the worker').to.equal(false);
      await current.stop();
      expect(current.status().state).to.equal('stopped');
      expect(clock.pending()).to.deep.equal([]);
      expect(await store.lease('gateway-b', 60_000)).to.equal(true);
    });
  });
}
