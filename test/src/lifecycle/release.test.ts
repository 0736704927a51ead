import { Quantity } from '@wr/chaincode';
import { expect } from 'chai';
import {
  codeOf,
  expectRefusedUnchanged,
  expectSubmitRefused,
  lotJson,
  pledgeRequest,
  startFixture,
  type Fixture,
} from './fixture.js';

describe('releasing a pledge', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  const release = (receiptId: string, quantity: string): Promise<unknown> =>
    f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, quantity);

  it('when a lender releases part of a pledge, the rest stays pledged; 1000.005 t released in three parts adds up exactly', async () => {
    const lotId = await f.registerLot('1000.005');
    const receiptId = await f.issued('1000.005', lotId);
    await f.world.submit(f.cast.alice, 'RequestPledge', receiptId, pledgeRequest('LN-9', '2500000.5'));
    await f.world.submit(f.cast.officer, 'AcceptPledge', receiptId, '{}');
    const pledge = (await f.receipt(receiptId)).pledge;

    await release(receiptId, '333.335');
    const parent = await f.receipt(receiptId);
    expect(parent).to.deep.include({ status: 'SPLIT', children: [`${receiptId}.1`, `${receiptId}.2`], pledge: null, pendingRelease: null });
    const first = await f.receipt(`${receiptId}.1`);
    const rest = await f.receipt(`${receiptId}.2`);
    expect(first).to.deep.include({ quantity: '333.335', status: 'ISSUED', pledge: null, parentId: receiptId, lotId, owner: parent.owner });
    expect(rest).to.deep.include({ quantity: '666.67', status: 'PLEDGED', pledge, parentId: receiptId, lotId, owner: parent.owner });

    await release(rest.id, '333.335');
    const second = await f.receipt(`${rest.id}.1`);
    const third = await f.receipt(`${rest.id}.2`);
    expect((await f.receipt(rest.id)).children).to.deep.equal([second.id, third.id]);
    expect(second).to.deep.include({ quantity: '333.335', status: 'ISSUED', parentId: rest.id });
    expect(third).to.deep.include({ quantity: '333.335', status: 'PLEDGED', parentId: rest.id });

    await release(third.id, '333.335');
    const last = await f.receipt(third.id);
    expect(last).to.deep.include({ status: 'ISSUED', pledge: null, children: [] });

    const parts = [first, second, last].map((receipt) => Quantity.parse(receipt.quantity));
    expect(parts.reduce((sum, part) => sum.add(part)).toString()).to.equal('1000.005');
    expect(await f.lot(lotId)).to.include({ quantity: '1000.005', receiptedQuantity: '1000.005' });
  });

  it('a full release makes the same receipt ISSUED again and the lender loses sight of it', async () => {
    const receiptId = await f.pledged('80');
    await release(receiptId, '80');
    expect(await f.receipt(receiptId)).to.deep.include({ status: 'ISSUED', pledge: null, children: [] });
    expect(await codeOf(f.world.evaluate(f.cast.officer, 'GetReceipt', receiptId))).to.equal('NOT_FOUND');
  });

  it('refuses zero, more than the receipt holds, and malformed quantities, changing nothing', async () => {
    const receiptId = await f.pledged('80');
    for (const quantity of ['0', '80.000001', '-1', '1e1', '']) {
      await expectRefusedUnchanged(f, receiptId, 'INVALID_ARGUMENT', () => release(receiptId, quantity));
    }
  });

  it('refuses ALREADY_EXISTS when a derived child id is taken, leaving the pledge whole', async () => {
    const receiptId = await f.pledged('80');
    const lotId = (await f.receipt(receiptId)).lotId;
    await f.world.submit(f.cast.clerk, 'RegisterLot', lotJson(`${lotId}-B`, '1'));
    const squatter = { id: `${receiptId}.2`, lotId: `${lotId}-B`, owner: 'bob', quantity: '1' };
    await f.world.submit(f.cast.clerk, 'DraftReceipt', JSON.stringify(squatter));
    await expectRefusedUnchanged(f, receiptId, 'ALREADY_EXISTS', () => release(receiptId, '10'));
    expect(await codeOf(f.world.evaluate(f.cast.supervisor, 'GetReceipt', `${receiptId}.1`))).to.equal('NOT_FOUND');
  });
});

describe('releases above the approval threshold', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  it('below or at the threshold, the officer\'s release executes at once', async () => {
    const receiptId = await f.pledged('100', { releaseApprovalThreshold: '40' });
    await f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, '40');
    expect((await f.receipt(receiptId)).status).to.equal('SPLIT');
    expect((await f.receipt(`${receiptId}.1`)).quantity).to.equal('40');
  });

  it('above the threshold, the release waits; the requester cannot approve it under another role; another approver can', async () => {
    const receiptId = await f.pledged('100', { releaseApprovalThreshold: '40' });
    await f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, '40.000001');
    const waiting = await f.receipt(receiptId);
    expect(waiting.status).to.equal('PLEDGED');
    expect(waiting.pendingRelease).to.deep.include({ quantity: '40.000001', requestedBy: 'wang' });

    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.officer, 'ReleasePledge', receiptId, '1');
    await expectSubmitRefused(f, 'FOUR_EYES', f.cast.wangAsApprover, 'ApproveRelease', receiptId);
    await expectSubmitRefused(f, 'FORBIDDEN', f.cast.officer, 'ApproveRelease', receiptId);

    await f.world.submit(f.cast.approver, 'ApproveRelease', receiptId);
    expect(await f.receipt(receiptId)).to.deep.include({ status: 'SPLIT', pendingRelease: null });
    expect(await f.receipt(`${receiptId}.1`)).to.deep.include({ quantity: '40.000001', status: 'ISSUED' });
    expect(await f.receipt(`${receiptId}.2`)).to.deep.include({ quantity: '59.999999', status: 'PLEDGED', pendingRelease: null });
  });

  it('a rejected release leaves the pledge as it was and a new release can be asked for', async () => {
    const receiptId = await f.pledged('100', { releaseApprovalThreshold: '10' });
    await f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, '100');
    await f.world.submit(f.cast.approver, 'RejectRelease', receiptId, 'loan not repaid');
    expect(await f.receipt(receiptId)).to.deep.include({ status: 'PLEDGED', pendingRelease: null, quantity: '100' });
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.approver, 'ApproveRelease', receiptId);
    await f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, '5');
    expect((await f.receipt(`${receiptId}.2`)).quantity).to.equal('95');
  });
});

describe('an owner splitting a receipt', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  it('divides it into children that add up exactly, with the lineage on both sides and the lot unchanged', async () => {
    const receiptId = await f.issued('100');
    const { lotId } = await f.receipt(receiptId);
    await f.world.submit(f.cast.alice, 'SplitReceipt', receiptId, '["33.333333","33.333333","33.333334"]');
    const parent = await f.receipt(receiptId);
    const children = [`${receiptId}.1`, `${receiptId}.2`, `${receiptId}.3`];
    expect(parent).to.deep.include({ status: 'SPLIT', children });
    const parts = await Promise.all(children.map((id) => f.receipt(id)));
    expect(parts.map((part) => part.quantity)).to.deep.equal(['33.333333', '33.333333', '33.333334']);
    for (const part of parts) expect(part).to.deep.include({ status: 'ISSUED', parentId: receiptId, lotId, owner: parent.owner });
    expect((await f.lot(lotId)).receiptedQuantity).to.equal('100');
  });

  it('refuses parts that do not add up, a single part, zero parts and malformed quantities, changing nothing', async () => {
    const receiptId = await f.issued('100');
    for (const parts of ['["50","49.999999"]', '["50","50.000001"]', '["100"]', '["100","0"]', '["1e2","0"]', '[50,50]', '{}']) {
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.alice, 'SplitReceipt', receiptId, parts);
    }
    expect(await codeOf(f.world.evaluate(f.cast.supervisor, 'GetReceipt', `${receiptId}.1`))).to.equal('NOT_FOUND');
  });
});
