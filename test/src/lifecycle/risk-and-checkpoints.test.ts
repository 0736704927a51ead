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

describe('risk events from supervision alarms', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  const alarm = {
    alarmId: 'alm_5d41402abc4b2a76b9719d911017c592',
    ruleHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    evidenceRoot: '0x2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
  };
  const fromAlarm = (fields: object): string =>
    JSON.stringify({ kind: 'STOCK_RECONCILIATION', severity: 'major', detail: 'load cells 2.1% under for 30 min', ...fields });
  const listed = async (receiptId: string, who = f.cast.supervisor) =>
    riskEventRecord.array().parse(await f.world.evaluate(who, 'ListRiskEvents', receiptId));

  it('a major event is stored with its alarm, shown to the lender, and holds nothing', async () => {
    const receiptId = await f.pledged('10');
    const { lotId } = await f.receipt(receiptId);
    const stored = riskEventRecord.parse(
      await f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', fromAlarm({ id: `risk-${alarm.alarmId}`, lotId, alarm })),
    );
    expect(stored).to.deep.include({ severity: 'major', alarm, lotId, status: 'OPEN' });
    expect((await f.receipt(receiptId)).frozen).to.equal(false);
    const [event] = await listed(receiptId, f.cast.officer);
    expect(event).to.deep.include({ id: `risk-${alarm.alarmId}`, severity: 'major', alarm });
    const view = encumbrance.parse(await f.world.evaluate(f.cast.officer, 'GetEncumbrance', receiptId));
    expect(view.openRiskEvents.map((open) => open.alarm)).to.deep.equal([alarm]);
  });

  it('records each alarm once: the same event again, or another id for the same alarm, is ALREADY_EXISTS', async () => {
    const receiptId = await f.issued('10');
    const linked = { ...alarm, alarmId: 'alm_00000000000000000000000000000001' };
    const event = fromAlarm({ id: `risk-${linked.alarmId}`, receiptId, severity: 'critical', alarm: linked });
    await f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', event);
    expect(await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', event))).to.equal('ALREADY_EXISTS');
    const other = fromAlarm({ id: 'risk-other-id', receiptId, severity: 'critical', alarm: linked });
    expect(await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', other))).to.equal('ALREADY_EXISTS');
    const held = await f.receipt(receiptId);
    expect(held.freezes.map((hold) => hold.riskEventId), 'one hold, from the first event').to.deep.equal([`risk-${linked.alarmId}`]);
  });

  it('refuses a malformed alarm link with INVALID_ARGUMENT and records nothing', async () => {
    const receiptId = await f.issued('10');
    const malformed = [
      { ...alarm, ruleHash: alarm.ruleHash.toUpperCase() },
      { ...alarm, evidenceRoot: alarm.evidenceRoot.slice(2) },
      { ...alarm, alarmId: '' },
      { alarmId: alarm.alarmId },
      null,
    ];
    for (const [index, link] of malformed.entries()) {
      const code = await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', fromAlarm({ id: `BAD-A${index.toString()}`, receiptId, alarm: link })));
      expect(code, JSON.stringify(link)).to.equal('INVALID_ARGUMENT');
    }
    expect(await listed(receiptId)).to.deep.equal([]);
  });

  it('events without an alarm keep their old form: no alarm member, stored or returned', async () => {
    const receiptId = await f.issued('10');
    await f.world.submit(f.cast.clerk, 'RecordRiskEvent', fromAlarm({ id: 'PLAIN-1', receiptId, kind: 'DOOR_OPEN', severity: 'warning' }));
    const raw = await f.world.evaluate(f.cast.supervisor, 'ListRiskEvents', receiptId);
    expect(raw).to.be.an('array').with.length(1);
    expect((raw as object[])[0]).to.not.have.property('alarm');
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
