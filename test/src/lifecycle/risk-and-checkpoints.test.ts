import { checkpointRecord, encumbrance, riskEventRecord } from '@wr/chaincode';
import { expect } from 'chai';
import { checkpointJson, codeOf, expectSubmitRefused, startFixture, type Fixture } from './fixture.js';

describe('risk events', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  const risk = (fields: object): string =>
    JSON.stringify({ kind: 'TEMPERATURE', severity: 'warning', detail: '31.5 C for 20 min', ...fields });
  const events = async (receiptId: string): Promise<string[]> =>
    riskEventRecord.array().parse(await f.world.evaluate(f.cast.alice, 'ListRiskEvents', receiptId)).map((event) => event.id);

  it('a warning is recorded on the receipt without freezing it', async () => {
    const receiptId = await f.issued('10');
    await f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', risk({ id: 'RISK-W1', receiptId, evidenceRef: 'leaf:0x01' }));
    expect((await f.receipt(receiptId)).frozen).to.equal(false);
    expect(await events(receiptId)).to.deep.equal(['RISK-W1']);
    const view = encumbrance.parse(await f.world.evaluate(f.cast.alice, 'GetEncumbrance', receiptId));
    expect(view.openRiskEvents[0]).to.deep.include({ id: 'RISK-W1', severity: 'warning', evidenceRef: 'leaf:0x01', recordedBy: 'gateway' });
  });

  it('a critical event freezes its receipt until it is resolved, and may be recorded on a receipt already frozen', async () => {
    const receiptId = await f.issued('10');
    await f.world.submit(f.cast.supervisor, 'Freeze', receiptId, 'inspection', 'INS-1');
    await f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', risk({ id: 'RISK-C1', receiptId, severity: 'critical' }));
    await f.world.submit(f.cast.supervisor, 'Unfreeze', receiptId, 'inspection done');
    const held = await f.receipt(receiptId);
    expect(held.freezes.map((hold) => hold.riskEventId)).to.deep.equal(['RISK-C1']);
    await expectSubmitRefused(f, 'FROZEN', f.cast.alice, 'RequestWithdrawal', receiptId);
    await f.world.submit(f.cast.supervisor, 'ResolveRiskEvent', 'RISK-C1', 'sensor fault, goods fine');
    expect((await f.receipt(receiptId)).frozen).to.equal(false);
  });

  it('a critical event on a lot freezes every live receipt of the lot and shows on each', async () => {
    const lotId = await f.registerLot('20');
    const first = await f.issued('10', lotId);
    const second = await f.draft(lotId, '10');
    await f.world.submit(f.cast.clerk, 'RecordRiskEvent', risk({ id: 'RISK-L1', lotId, kind: 'DOOR_OPEN', severity: 'critical' }));
    for (const id of [first, second]) {
      expect((await f.receipt(id)).frozen, id).to.equal(true);
      expect(await events(id)).to.deep.equal(['RISK-L1']);
    }
    await f.world.submit(f.cast.supervisor, 'ResolveRiskEvent', 'RISK-L1', 'door sensor replaced');
    for (const id of [first, second]) expect((await f.receipt(id)).frozen, id).to.equal(false);
  });

  it('refuses events naming both or neither of receipt and lot, unknown severities, duplicates, and other organisations', async () => {
    const receiptId = await f.issued('10');
    const { lotId } = await f.receipt(receiptId);
    const malformed = [
      { id: 'BAD-1', receiptId, lotId },
      { id: 'BAD-2' },
      { id: 'BAD-3', receiptId, severity: 'fatal' },
      { id: 'BAD-4', receiptId, kind: 'lower' },
    ];
    for (const fields of malformed) {
      const code = await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', risk(fields)));
      expect(code, JSON.stringify(fields)).to.equal('INVALID_ARGUMENT');
    }
    await f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', risk({ id: 'DUP-1', receiptId }));
    expect(await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', risk({ id: 'DUP-1', receiptId })))).to.equal('ALREADY_EXISTS');
    for (const who of [f.cast.officer, f.cast.alice, f.cast.custodianAuditor]) {
      expect(await codeOf(f.world.submit(who, 'RecordRiskEvent', risk({ id: 'NOPE-1', receiptId })))).to.equal('FORBIDDEN');
    }
    expect(await codeOf(f.world.submit(f.cast.clerk, 'ResolveRiskEvent', 'DUP-1', 'x'))).to.equal('FORBIDDEN');
    expect(await codeOf(f.world.submit(f.cast.supervisor, 'ResolveRiskEvent', 'NO-SUCH', 'x'))).to.equal('NOT_FOUND');
    expect(await events(receiptId)).to.deep.equal(['DUP-1']);
  });
});

describe('checkpoints', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  const checkpoint = checkpointJson;

  it('the device gateway records a checkpoint once; anyone known reads it', async () => {
    const { txId } = await f.world.ledger.submit(f.cast.deviceGateway, 'RecordCheckpoint', [checkpoint(7)]);
    expect(await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordCheckpoint', checkpoint(7, { leafCount: 9 })))).to.equal('ALREADY_EXISTS');
    for (const who of [f.cast.alice, f.cast.officer, f.cast.custodianAuditor]) {
      const stored = checkpointRecord.parse(await f.world.evaluate(who, 'GetCheckpoint', '7'));
      expect(stored).to.deep.include({ seq: 7, leafCount: 3, recordedBy: 'gateway', txId });
    }
    expect(await codeOf(f.world.evaluate(f.cast.alice, 'GetCheckpoint', '8'))).to.equal('NOT_FOUND');
    expect(await codeOf(f.world.evaluate(f.cast.alice, 'GetCheckpoint', '07'))).to.equal('INVALID_ARGUMENT');
  });

  it('refuses malformed checkpoints and callers other than the device gateway', async () => {
    for (const fields of [{ hash: '0x12' }, { root: `0x${'A'.repeat(64)}` }, { leafCount: 0 }, { seq: -1 }, { extra: 1 }]) {
      const code = await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordCheckpoint', checkpoint(1, fields)));
      expect(code, JSON.stringify(fields)).to.equal('INVALID_ARGUMENT');
    }
    expect(await codeOf(f.world.submit(f.cast.supervisor, 'RecordCheckpoint', checkpoint(1)))).to.equal('FORBIDDEN');
  });
});
