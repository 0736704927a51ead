import { EmbeddedLedger, openDevCa, type Identity } from '@wr/gateway-api';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The three organisations' dev CAs and the identities of one receipt's life, shared by ledgers opened in `dir`. */
async function registry(dir: string) {
  const cas = await Promise.all(['CustodianMSP', 'LenderMSP', 'BorrowerMSP'].map((msp) => openDevCa(join(dir, 'ca'), msp)));
  const [custodian, lender, borrower] = cas;
  if (!custodian || !lender || !borrower) throw new Error('dev CAs missing');
  const people = {
    clerk: await custodian.issue('clerk', 'clerk'),
    supervisor: await custodian.issue('supervisor', 'supervisor'),
    officer: await lender.issue('officer', 'officer'),
    alice: await borrower.issue('alice', 'owner'),
  };
  const open = (name: string): Promise<EmbeddedLedger> =>
    EmbeddedLedger.open({ dataDir: join(dir, name), orgs: cas.map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })) });
  return { people, open };
}

/** A receipt's whole life: issued, pledged, released in part, the released part delivered. */
function lifeOfAReceipt(p: Awaited<ReturnType<typeof registry>>['people']): [Identity, string, string[]][] {
  return [
    [p.clerk, 'RegisterLot', [JSON.stringify({ id: 'LOT-1', warehouseId: 'WH-1', location: 'Shed 3', commodity: 'aluminium', unit: 't', quantity: '1000.005' })]],
    [p.clerk, 'DraftReceipt', [JSON.stringify({ id: 'WR-1', lotId: 'LOT-1', owner: 'alice', quantity: '1000.005' })]],
    [p.supervisor, 'ConfirmReceipt', ['WR-1']],
    [p.alice, 'RequestPledge', ['WR-1', JSON.stringify({ lender: 'LenderMSP', loanReference: 'LOAN-1', loanAmount: '5000000', currency: 'CNY' })]],
    [p.officer, 'AcceptPledge', ['WR-1', '{}']],
    [p.officer, 'ReleasePledge', ['WR-1', '333.335']],
    [p.alice, 'RequestWithdrawal', ['WR-1.1']],
    [p.supervisor, 'ConfirmDelivery', ['WR-1.1']],
  ];
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('the ledger across restarts and ledgers', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wr-restart-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps state, every receipt history and the block chain after a restart, and goes on from there', async () => {
    const { people, open } = await registry(dir);
    let ledger = await open('ledger');
    for (const [who, tx, args] of lifeOfAReceipt(people)) await ledger.submit(who, tx, args);
    const read = async (l: EmbeddedLedger) => ({
      chain: l.chainInfo(),
      state: l.stateHash(),
      histories: await Promise.all(['WR-1', 'WR-1.1', 'WR-1.2'].map(async (id) => text(await l.evaluate(people.supervisor, 'GetHistory', [id])))),
      encumbrance: JSON.parse(text(await l.evaluate(people.officer, 'GetEncumbrance', ['WR-1.2']))) as { pledge: { status: string } | null },
    });
    const before = await read(ledger);
    expect(before.encumbrance.pledge?.status).to.equal('ACTIVE');
    expect(JSON.parse(before.histories[0] ?? '[]')).to.have.length(5);
    await ledger.close();

    ledger = await open('ledger');
    try {
      const after = await read(ledger);
      expect({ ...after, encumbrance: undefined }).to.deep.equal({ ...before, encumbrance: undefined });
      expect(after.encumbrance.pledge?.status).to.equal('ACTIVE');
      const next = await ledger.submit(people.officer, 'ReleasePledge', ['WR-1.2', '666.67']);
      expect(next.blockNumber).to.equal(BigInt(before.chain.height));
    } finally {
      await ledger.close();
    }
  });

  it('gives identical state and block hashes when the same receipt transactions run on two fresh ledgers', async () => {
    const { people, open } = await registry(dir);
    const run = async (name: string) => {
      const ledger = await open(name);
      try {
        let i = 0;
        for (const [who, tx, args] of lifeOfAReceipt(people)) {
          i++;
          await ledger.submit(who, tx, args, { timestamp: new Date(Date.UTC(2026, 10, 1, 8, 0, i)), nonce: new Uint8Array(24).fill(i) });
        }
        return { chain: ledger.chainInfo(), state: ledger.stateHash() };
      } finally {
        await ledger.close();
      }
    };
    const first = await run('first');
    const second = await run('second');
    expect(second).to.deep.equal(first);
    expect(first.chain.height).to.equal(9);
  });
});
