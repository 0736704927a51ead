import { receiptView } from '@wr/chaincode/responses';
import { expect } from 'chai';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, expectUnchanged, snapshot, uid, useGateway, writeEnvelope } from './helpers.js';

const targets = await testDatabases();

for (const target of targets) {
  describe(`HTTP Idempotency-Key on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target);

    it('the same POST with the same key twice is one ledger transaction: the same status, body and txId, the second marked replayed', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledged('alice');
      const key = uid('release');
      const before = api.height();
      const first = await api.call('releasePledge', 'lender.officer', { id, body: { quantity: '40' }, headers: { 'idempotency-key': key } });
      expect(first.status, first.text).to.equal(200);
      expect(first.headers.get('idempotent-replayed')).to.equal(null);
      expect(api.height()).to.equal(before + 1);
      const afterFirst = await snapshot(api, [id, `${id}.1`, `${id}.2`]);

      const second = await api.call('releasePledge', 'lender.officer', { id, body: { quantity: '40' }, headers: { 'idempotency-key': key } });
      expect(second.status).to.equal(200);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(second.body).to.deep.equal(first.body);
      expect(writeEnvelope.parse(second.body).transaction.txId).to.equal(writeEnvelope.parse(first.body).transaction.txId);
      await expectUnchanged(api, afterFirst);
      // without the replay, a second release of 40 from the (now SPLIT) parent would have been refused
      expect((await api.receipt(`${id}.2`)).quantity).to.equal('60');
    });

    it('a replayed creation keeps its 201', async () => {
      const { api, fixtures } = suite();
      const lotId = await fixtures.lot('100');
      const key = uid('draft');
      const body = { id: uid('WR'), lotId, owner: 'alice', quantity: '10' };
      const first = await api.call('draftReceipt', 'custodian.clerk', { body, headers: { 'idempotency-key': key } });
      const height = api.height();
      const second = await api.call('draftReceipt', 'custodian.clerk', { body, headers: { 'idempotency-key': key } });
      expect([first.status, second.status]).to.deep.equal([201, 201]);
      expect(second.body).to.deep.equal(first.body);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(api.height()).to.equal(height);
    });

    it('the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledged('alice');
      const key = uid('release');
      await api.write('releasePledge', 'lender.officer', { id, body: { quantity: '10' }, headers: { 'idempotency-key': key } });
      const before = await snapshot(api, [id, `${id}.1`, `${id}.2`]);
      const reused = await api.call('releasePledge', 'lender.officer', { id: `${id}.2`, body: { quantity: '10' }, headers: { 'idempotency-key': key } });
      expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
      const otherBody = await api.call('releasePledge', 'lender.officer', { id, body: { quantity: '20' }, headers: { 'idempotency-key': key } });
      expectProblem(otherBody, 422, 'IDEMPOTENCY_KEY_REUSED');
      await expectUnchanged(api, before);
    });

    it('a key used by one identity is independent of the same key used by another', async () => {
      const { api, fixtures } = suite();
      const alices = await fixtures.issued('alice');
      const bobs = await fixtures.issued('bob');
      const key = uid('shared');
      const body = { lender: 'LenderMSP', loanReference: 'LOAN-1', loanAmount: '100', currency: 'CNY' };
      const first = await api.write('requestPledge', 'borrower.alice', { id: alices, body, headers: { 'idempotency-key': key } });
      const second = await api.write('requestPledge', 'borrower.bob', { id: bobs, body, headers: { 'idempotency-key': key } });
      expect(second.txId).not.to.equal(first.txId);
      expect(second.reply.headers.get('idempotent-replayed')).to.equal(null);
      expect((await api.receipt(bobs)).status).to.equal('PLEDGE_REQUESTED');
      // and the same request by another identity under the same key is not a replay of the first's response either
      const lotId = await fixtures.lot('10');
      const draft = { id: uid('WR'), lotId, owner: 'alice', quantity: '1' };
      await api.write('draftReceipt', 'custodian.clerk', { body: draft, headers: { 'idempotency-key': key } });
      expectProblem(await api.call('draftReceipt', 'custodian.supervisor', { body: draft, headers: { 'idempotency-key': key } }), 403, 'FORBIDDEN');
    });

    it('a request refused with 409 releases its key: the same request with the same key succeeds once the state allows it', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.issued('alice');
      const key = uid('delivery');
      const before = await snapshot(api, [id]);
      expectProblem(await api.call('confirmDelivery', 'custodian.supervisor', { id, headers: { 'idempotency-key': key } }), 409, 'INVALID_STATE');
      await expectUnchanged(api, before);
      await api.write('requestWithdrawal', 'borrower.alice', { id });
      const delivered = await api.write('confirmDelivery', 'custodian.supervisor', { id, headers: { 'idempotency-key': key } });
      expect(delivered.reply.headers.get('idempotent-replayed')).to.equal(null);
      expect(receiptView.parse(delivered.data).status).to.equal('DELIVERED');
    });

    it('a request refused with 400 does not claim its key either', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledgeRequested('alice');
      const key = uid('accept');
      expectProblem(await api.call('acceptPledge', 'lender.officer', { id, body: { releaseApprovalThreshold: 5 }, headers: { 'idempotency-key': key } }), 400, 'VALIDATION_FAILED');
      const accepted = await api.write('acceptPledge', 'lender.officer', { id, body: { releaseApprovalThreshold: '5' }, headers: { 'idempotency-key': key } });
      expect(receiptView.parse(accepted.data).pledge?.releaseApprovalThreshold).to.equal('5');
    });

    it('concurrent requests with the same key commit once: the others replay it or are told it is in progress', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.issued('alice');
      const key = uid('concurrent');
      const before = api.height();
      const replies = await Promise.all(
        Array.from({ length: 5 }, () => api.call('requestWithdrawal', 'borrower.alice', { id, headers: { 'idempotency-key': key } })),
      );
      expect(api.height()).to.equal(before + 1);
      const committed = replies.filter((reply) => reply.status === 200 && reply.headers.get('idempotent-replayed') === null);
      expect(committed).to.have.length(1);
      const txId = writeEnvelope.parse(committed[0]?.body).transaction.txId;
      for (const reply of replies) {
        if (reply.status === 200) expect(writeEnvelope.parse(reply.body).transaction.txId).to.equal(txId);
        else expectProblem(reply, 409, 'IDEMPOTENCY_IN_PROGRESS');
      }
    });

    for (const [label, key] of [
      ['with a space', 'a b'],
      ['with a slash', 'a/b'],
      ['of 201 characters', 'k'.repeat(201)],
      ['that is empty', ''],
      ['with a Latin-1 letter', 'cl\u00e9'],
    ] as const) {
      it(`an Idempotency-Key ${label} is 400 INVALID_HEADER and the write does not happen`, async () => {
        const { api, fixtures } = suite();
        const id = await fixtures.issued('alice');
        const before = await snapshot(api, [id]);
        expectProblem(await api.call('requestWithdrawal', 'borrower.alice', { id, headers: { 'idempotency-key': key } }), 400, 'INVALID_HEADER');
        await expectUnchanged(api, before);
      });
    }
  });
}
