import { expect } from 'chai';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDevCa } from '../../src/identity/dev-ca.js';
import { endorsementOrgs } from '../../src/ledger/endorsement-policy.js';
import { LedgerError } from '../../src/ledger/errors.js';
import type { EmbeddedLedger } from '../../src/ledger/embedded/index.js';
import type { Identity } from '../../src/ledger/port.js';
import { kvFixture, text, type KvFixture } from '../support/kv-ledger.js';
import { refusal } from '../../src/testing/refusal.js';


describe('embedded ledger', () => {
  let fixture: KvFixture;
  let ledger: EmbeddedLedger;
  let clerk: Identity;

  beforeEach(async () => {
    fixture = await kvFixture();
    ledger = await fixture.open();
    clerk = await fixture.custodian.issue('zhang', 'clerk');
  });

  afterEach(async () => {
    await ledger.close();
    await fixture.cleanup();
  });

  describe('identities', () => {
    it('gives the chaincode the creator MSP id, X.509 id and role attribute from the signed proposal', async () => {
      const who: unknown = JSON.parse(text(await ledger.evaluate(clerk, 'WhoAmI', [])));
      expect(who).to.deep.equal({
        mspId: 'CustodianMSP',
        role: 'clerk',
        id: 'x509::/CN=zhang/OU=client/O=CustodianMSP::/CN=ca.custodian.dev/O=CustodianMSP',
      });
    });

    it('refuses a certificate from a CA that is not a member of the channel', async () => {
      const stranger = await (await openDevCa(join(fixture.dir, 'other-ca'), 'StrangerMSP')).issue('eve', 'clerk');
      expect((await refusal(ledger.submit(stranger, 'Put', ['a', '1']))).code).to.equal('ACCESS_DENIED');
    });

    it('refuses a certificate that claims a member MSP but was issued by another CA', async () => {
      const forger = await (await openDevCa(join(fixture.dir, 'forged-ca'), 'CustodianMSP')).issue('zhang', 'supervisor');
      expect((await refusal(ledger.submit(forger, 'Put', ['a', '1']))).code).to.equal('ACCESS_DENIED');
      expect(text(await ledger.evaluate(clerk, 'Get', ['a']))).to.equal('');
    });

    it('refuses a proposal signed with a key that does not match the certificate', async () => {
      const other = await fixture.custodian.issue('li', 'clerk');
      const impostor = { ...clerk, privateKey: other.privateKey };
      expect((await refusal(ledger.submit(impostor, 'Put', ['a', '1']))).code).to.equal('ACCESS_DENIED');
    });
  });

  describe('transaction semantics', () => {
    it('has no read-your-writes: a read after a write in the same transaction sees the committed value', async () => {
      await ledger.submit(clerk, 'Put', ['k', 'old']);
      const result = await ledger.submit(clerk, 'PutThenGet', ['k', 'new']);
      expect(text(result.result)).to.equal('old');
      expect(text(await ledger.evaluate(clerk, 'Get', ['k']))).to.equal('new');
    });

    it('lets only one of several concurrent read-modify-writes of a key commit; the rest fail with MVCC_READ_CONFLICT', async () => {
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => ledger.submit(clerk, 'Increment', ['counter'])));
      const committed = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const conflicts = outcomes.flatMap((outcome): unknown[] => (outcome.status === 'rejected' ? [outcome.reason] : []));
      expect(committed.length).to.be.greaterThan(0);
      expect(committed.length + conflicts.length).to.equal(10);
      for (const reason of conflicts) expect(reason).to.be.instanceOf(LedgerError).and.to.have.property('code', 'MVCC_READ_CONFLICT');
      // No lost update: the counter counts exactly the committed increments.
      expect(text(await ledger.evaluate(clerk, 'Get', ['counter']))).to.equal(String(committed.length));
    });

    it('invalidates a transaction whose range read gained a key before it committed (phantom read)', async () => {
      await ledger.submit(clerk, 'Put', ['item-1', 'x']);
      const counting = ledger.submit(clerk, 'CountRange', ['item-', 'item-~', 'count']);
      const inserting = ledger.submit(clerk, 'Put', ['item-2', 'y']);
      await inserting;
      expect((await refusal(counting)).code).to.equal('PHANTOM_READ_CONFLICT');
      expect(text(await ledger.evaluate(clerk, 'Get', ['count']))).to.equal('');
    });

    it('orders range results by code point, as LevelDB orders UTF-8 keys', async () => {
      for (const key of ['k\u{10000}', 'k\uffff', 'ka']) await ledger.submit(clerk, 'Put', [key, '1']);
      expect(JSON.parse(text(await ledger.evaluate(clerk, 'Keys', ['k', 'l'])))).to.deep.equal(['ka', 'k\uffff', 'k\u{10000}']);
    });

    it('turns a chaincode refusal into its stable code and commits nothing', async () => {
      const before = ledger.chainInfo();
      const error = await refusal(ledger.submit(clerk, 'Fail', ['OVER_ISSUE']));
      expect(error.code).to.equal('OVER_ISSUE');
      expect(error.message).to.equal('refused with OVER_ISSUE');
      expect(ledger.chainInfo()).to.deep.equal(before);
    });

    it('refuses a second transaction with the same id', async () => {
      const nonce = new Uint8Array(24).fill(7);
      await ledger.submit(clerk, 'Put', ['a', '1'], { nonce });
      expect((await refusal(ledger.submit(clerk, 'Put', ['a', '2'], { nonce }))).code).to.equal('DUPLICATE_TRANSACTION');
      expect(text(await ledger.evaluate(clerk, 'Get', ['a']))).to.equal('1');
    });

    it('gives the chaincode the proposal timestamp as the transaction time', async () => {
      const timestamp = new Date('2026-03-01T08:00:00.123Z');
      expect(text((await ledger.submit(clerk, 'Now', [], { timestamp })).result)).to.equal(timestamp.toISOString());
    });

    it('keeps every modification of a key, newest first, deletions included', async () => {
      const first = await ledger.submit(clerk, 'Put', ['h', '1']);
      const second = await ledger.submit(clerk, 'Put', ['h', '2']);
      const removal = await ledger.submit(clerk, 'Delete', ['h']);
      expect(JSON.parse(text(await ledger.evaluate(clerk, 'History', ['h'])))).to.deep.equal([
        { txId: removal.txId, value: '', isDelete: true },
        { txId: second.txId, value: '2', isDelete: false },
        { txId: first.txId, value: '1', isDelete: false },
      ]);
    });

    it('stores a key-level endorsement policy naming the organisations the chaincode requires', async () => {
      await ledger.submit(clerk, 'Protect', ['p', JSON.stringify(['CustodianMSP', 'LenderMSP'])]);
      const policy = ledger.validationParameter('p');
      expect(policy).to.not.equal(undefined);
      expect(endorsementOrgs(policy ?? new Uint8Array())).to.deep.equal({ orgs: ['CustodianMSP', 'LenderMSP'], required: 2 });
    });
  });

  describe('events', () => {
    it('replays chaincode events from a block number and then delivers new ones live', async () => {
      const first = await ledger.submit(clerk, 'Put', ['e1', 'a']);
      const second = await ledger.submit(clerk, 'Put', ['e2', 'b']);
      const controller = new AbortController();
      const received: { txId: string; block: bigint; payload: unknown }[] = [];
      const reading = (async () => {
        for await (const event of ledger.events(second.blockNumber, controller.signal)) {
          received.push({ txId: event.txId, block: event.blockNumber, payload: JSON.parse(text(event.payload)) });
          if (received.length === 2) controller.abort();
        }
      })();
      const third = await ledger.submit(clerk, 'Put', ['e3', 'c']);
      await reading;
      expect(received).to.deep.equal([
        { txId: second.txId, block: second.blockNumber, payload: { key: 'e2', value: 'b' } },
        { txId: third.txId, block: third.blockNumber, payload: { key: 'e3', value: 'c' } },
      ]);
      expect(first.blockNumber < second.blockNumber).to.equal(true);
    });
  });

  describe('durability', () => {
    it('keeps state, history, events and the block chain across a restart', async () => {
      const put = await ledger.submit(clerk, 'Put', ['d', '1']);
      await ledger.submit(clerk, 'Put', ['d', '2']);
      const before = { chain: ledger.chainInfo(), state: ledger.stateHash(), history: text(await ledger.evaluate(clerk, 'History', ['d'])) };
      await ledger.close();
      ledger = await fixture.open();
      expect(ledger.chainInfo()).to.deep.equal(before.chain);
      expect(ledger.stateHash()).to.equal(before.state);
      expect(text(await ledger.evaluate(clerk, 'History', ['d']))).to.equal(before.history);
      const replayed = [];
      const controller = new AbortController();
      for await (const event of ledger.events(0n, controller.signal)) {
        replayed.push(event.txId);
        if (replayed.length === 2) controller.abort();
      }
      expect(replayed[0]).to.equal(put.txId);
      const next = await ledger.submit(clerk, 'Put', ['d', '3']);
      expect(next.blockNumber).to.equal(BigInt(before.chain.height));
    });

    it('cuts off a torn last block left by a crash and keeps everything acknowledged', async () => {
      await ledger.submit(clerk, 'Put', ['t', '1']);
      const before = ledger.chainInfo();
      await ledger.close();
      const log = join(fixture.dir, 'ledger', 'blocks.jsonl');
      await appendFile(log, '{"header":{"number":2,"previousHa');
      ledger = await fixture.open();
      expect(ledger.chainInfo()).to.deep.equal(before);
      expect(text(await ledger.evaluate(clerk, 'Get', ['t']))).to.equal('1');
      await ledger.submit(clerk, 'Put', ['t', '2']);
      expect(ledger.chainInfo().height).to.equal(before.height + 1);
    });

    it('refuses to open a block log whose committed data was altered', async () => {
      await ledger.submit(clerk, 'Put', ['x', '1']);
      await ledger.submit(clerk, 'Put', ['y', '1']);
      await ledger.close();
      const log = join(fixture.dir, 'ledger', 'blocks.jsonl');
      const value = Buffer.from('1').toString('base64');
      const tampered = (await readFile(log, 'utf8')).replace(`"value":"${value}"`, `"value":"${Buffer.from('9').toString('base64')}"`);
      await writeFile(log, tampered);
      const error = await refusal(fixture.open());
      expect(error.code).to.equal('LEDGER_UNAVAILABLE');
      expect(error.message).to.match(/block 1 does not match its data hash/);
      ledger = await fixture.open('fresh');
    });

    it('refuses to reopen a ledger with organisations other than those it was created with', async () => {
      await ledger.close();
      const other = await openDevCa(join(fixture.dir, 'other-ca'), 'LenderMSP');
      const { EmbeddedLedger } = await import('../../src/ledger/embedded/index.js');
      const { KvContract } = await import('../support/kv-contract.js');
      const reopening = EmbeddedLedger.open({
        dataDir: join(fixture.dir, 'ledger'),
        contracts: [KvContract],
        orgs: [fixture.custodian, other].map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })),
      });
      expect((await refusal(reopening)).code).to.equal('LEDGER_UNAVAILABLE');
      ledger = await fixture.open();
    });
  });

  describe('determinism', () => {
    it('gives identical state hashes and block hashes for the same transactions on two fresh ledgers', async () => {
      const lenderOfficer = await fixture.lender.issue('wang', 'officer');
      const script: [Identity, string, string[]][] = [
        [clerk, 'Put', ['a', '1']],
        [lenderOfficer, 'Put', ['b', '2']],
        [clerk, 'Protect', ['c', '["CustodianMSP","LenderMSP"]']],
        [clerk, 'Delete', ['a']],
      ];
      const run = async (dir: string): Promise<{ chain: unknown; state: string }> => {
        const fresh = await fixture.open(dir);
        let i = 0;
        for (const [who, tx, args] of script) {
          i++;
          await fresh.submit(who, tx, args, { timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), nonce: new Uint8Array(24).fill(i) });
        }
        const result = { chain: fresh.chainInfo(), state: fresh.stateHash() };
        await fresh.close();
        return result;
      };
      const one = await run('one');
      const two = await run('two');
      expect(one).to.deep.equal(two);
      expect(one.state).to.match(/^[0-9a-f]{64}$/);
    });
  });
});
