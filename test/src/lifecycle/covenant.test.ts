import { receiptView } from '@wr/chaincode';
import { expect } from 'chai';
import { expectSubmitRefused, startFixture, type Fixture } from './fixture.js';

/**
 * The release covenant on the ledger (docs/collateral.md): a release leaving the loan at or above its warning line is
 * LTV_COVENANT; the officer's request for an override waits for an approver other than the officer (four eyes by
 * user id, even for the same person holding an approver's certificate), who lets it go with a reason.
 */
describe('the release covenant', function () {
  this.timeout(120_000);
  let f: Fixture;

  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  it('refuses the release, then an approver other than the requester overrides it with a reason', async () => {
    // 100 t at 10000 CNY/t against 500000 CNY: releasing 30 t leaves LTV 0.714285, at or above the warning line 0.7.
    const receiptId = await f.covenanted();
    await expectSubmitRefused(f, 'LTV_COVENANT', f.cast.officer, 'ReleasePledge', receiptId, '30');
    await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.officer, 'RequestReleaseOverride', receiptId, '20');
    await f.world.submit(f.cast.officer, 'RequestReleaseOverride', receiptId, '30');
    const pending = await f.receipt(receiptId);
    expect(pending.pendingRelease).to.deep.include({ quantity: '30', requestedBy: 'wang', covenant: { ltvAfter: '0.714285', warningLtv: '0.7' } });
    // wang requested it: as an approver he is still wang. An approval is not an override.
    await expectSubmitRefused(f, 'FOUR_EYES', f.cast.wangAsApprover, 'OverrideCovenant', receiptId, 'I vouch for it');
    await expectSubmitRefused(f, 'LTV_COVENANT', f.cast.approver, 'ApproveRelease', receiptId);
    await expectSubmitRefused(f, 'FORBIDDEN', f.cast.officer, 'OverrideCovenant', receiptId, 'I vouch for it');
    const released = receiptView.parse(await f.world.submit(f.cast.approver, 'OverrideCovenant', receiptId, 'credit committee 2026-51 accepts the exposure'));
    expect(released).to.include({ status: 'SPLIT', pendingRelease: null });
    expect((await f.receipt(`${receiptId}.1`)).status).to.equal('ISSUED');
    expect((await f.receipt(`${receiptId}.2`)).pledge?.status).to.equal('ACTIVE');
  });

  it('judges each release at the latest marks: after a price fall, a release allowed before is refused, a smaller one goes', async () => {
    const receiptId = await f.covenanted();
    await f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, '10');
    expect((await f.receipt(receiptId)).status, 'no threshold: released at once').to.equal('SPLIT');
    const rest = `${receiptId}.2`;
    // The rest, 90 t: 500000 / 900000 = 0.555555. The oracle marks the commodity down to 8000: 500000 / 720000 = 0.694444.
    const { commodity } = await f.receipt(rest);
    await f.world.submit(f.cast.oracle, 'RecordPrice', JSON.stringify({ commodity, unit: 't', price: '8000', currency: 'CNY', source: 'test', asOf: new Date().toISOString() }));
    // Releasing 1 t more would leave 500000 / 712000 = 0.702247.
    await expectSubmitRefused(f, 'LTV_COVENANT', f.cast.officer, 'ReleasePledge', rest, '1');
    await f.world.submit(f.cast.officer, 'ReleasePledge', rest, '0.5');
  });
});
