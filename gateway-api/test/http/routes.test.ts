import { lot as lotSchema, riskEvent } from '@wr/chaincode/model';
import { encumbrance, historyEntry, receiptView } from '@wr/chaincode/responses';
import { expect } from 'chai';
import { z } from 'zod';
import { everyOperation, gatewayOperations } from '../../src/modules/index.js';
import { operations } from '../../src/modules/receipts/operations.js';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, parseProblem, uid, useGateway, validBody, type BodyContext } from './helpers.js';

const targets = await testDatabases();
const noContext: BodyContext = { lotId: '', receiptId: '' };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const target of targets) {
  describe(`HTTP routes: every route's happy path, on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target);

    it('registerLot answers 201 {data: lot, transaction}; getLot reads it; recordStockCount records the count', async () => {
      const { api } = suite();
      const body = validBody('registerLot', noContext);
      const id = z.object({ id: z.string() }).parse(body).id;
      const created = await api.write('registerLot', 'custodian.clerk', { body });
      expect(created.reply.status).to.equal(201);
      const lot = lotSchema.parse(created.data);
      expect(lot).to.include({ id, quantity: '1000.005', receiptedQuantity: '0', custodian: 'CustodianMSP', registeredBy: 'clerk' });
      expect(lotSchema.parse(await api.read('getLot', 'custodian.clerk', id))).to.deep.equal(lot);

      const counted = lotSchema.parse((await api.write('recordStockCount', 'custodian.supervisor', { id, body: { quantity: '1000.5', reference: 'count 1' } })).data);
      expect(counted.quantity).to.equal('1000.5');
      expect(counted.lastCount).to.include({ quantity: '1000.5', reference: 'count 1', countedBy: 'supervisor' });
      expect(counted.shortfall).to.equal(null);
    });

    it('draftReceipt answers 201 with a DRAFT; confirmReceipt issues it; the four receipt reads answer {data}', async () => {
      const { api, fixtures } = suite();
      const lotId = await fixtures.lot('1000');
      const id = uid('WR');
      const drafted = await api.write('draftReceipt', 'custodian.clerk', { body: { id, lotId, owner: 'alice', quantity: '250.5', description: 'A00, 10 bundles' } });
      expect(drafted.reply.status).to.equal(201);
      expect(receiptView.parse(drafted.data)).to.include({ id, status: 'DRAFT', quantity: '250.5', lotId, draftedBy: 'clerk' });
      expect(lotSchema.parse(await api.read('getLot', 'custodian.clerk', lotId)).receiptedQuantity).to.equal('250.5');

      const confirmed = await api.write('confirmReceipt', 'custodian.supervisor', { id });
      expect(confirmed.reply.status).to.equal(200);
      const issued = receiptView.parse(confirmed.data);
      expect(issued).to.include({ status: 'ISSUED', confirmedBy: 'supervisor', lastTxId: confirmed.txId });

      expect(receiptView.parse(await api.read('getReceipt', 'borrower.alice', id))).to.deep.equal(issued);
      const history = z.array(historyEntry).parse(await api.read('getReceiptHistory', 'borrower.alice', id));
      expect(history.map((entry) => entry.txId)).to.deep.equal([confirmed.txId, drafted.txId]);
      const held = encumbrance.parse(await api.read('getEncumbrance', 'borrower.alice', id));
      expect(held).to.include({ receiptId: id, status: 'ISSUED', frozen: false, pledge: null, quantity: '250.5' });
      expect(held.owner).to.deep.equal({ mspId: 'BorrowerMSP', id: 'alice' });
      expect(z.array(riskEvent).parse(await api.read('listReceiptRiskEvents', 'borrower.alice', id))).to.deep.equal([]);
    });

    it('cancelDraft cancels a draft and gives its quantity back to the lot', async () => {
      const { api, fixtures } = suite();
      const lotId = await fixtures.lot('100');
      const id = await fixtures.draft('alice', '100', lotId);
      const cancelled = await api.write('cancelDraft', 'custodian.supervisor', { id, body: { reason: 'documents incomplete' } });
      expect(receiptView.parse(cancelled.data).status).to.equal('CANCELLED');
      expect(lotSchema.parse(await api.read('getLot', 'custodian.clerk', lotId)).receiptedQuantity).to.equal('0');
    });

    it('requestPledge, then acceptPledge with a threshold: the receipt is PLEDGED to the lender, who now sees it', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.issued('alice');
      const requested = await api.write('requestPledge', 'borrower.alice', { id, body: validBody('requestPledge', noContext) });
      expect(receiptView.parse(requested.data)).to.deep.include({ status: 'PLEDGE_REQUESTED' });
      const accepted = receiptView.parse((await api.write('acceptPledge', 'lender.officer', { id, body: { releaseApprovalThreshold: '50' } })).data);
      expect(accepted.status).to.equal('PLEDGED');
      expect(accepted.pledge).to.include({ lender: 'LenderMSP', status: 'ACTIVE', releaseApprovalThreshold: '50', acceptedBy: 'officer', loanAmount: '2000000' });
      expect(encumbrance.parse(await api.read('getEncumbrance', 'lender.officer', id)).pledge?.status).to.equal('ACTIVE');
    });

    it('acceptPledge without a body is accepted (the body is optional)', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledgeRequested('alice');
      const accepted = receiptView.parse((await api.write('acceptPledge', 'lender.officer', { id })).data);
      expect(accepted.pledge?.releaseApprovalThreshold).to.equal(null);
    });

    it('rejectPledge gives the receipt back to its owner ISSUED and unpledged', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledgeRequested('alice');
      const rejected = receiptView.parse((await api.write('rejectPledge', 'lender.officer', { id, body: { reason: 'not eligible' } })).data);
      expect(rejected).to.include({ status: 'ISSUED', pledge: null });
    });

    it('releasePledge below the threshold splits off the released part; the rest stays pledged', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledged('alice', { releaseApprovalThreshold: '50' });
      const parent = receiptView.parse((await api.write('releasePledge', 'lender.officer', { id, body: { quantity: '30' } })).data);
      expect(parent).to.include({ status: 'SPLIT' });
      expect(parent.children).to.deep.equal([`${id}.1`, `${id}.2`]);
      expect(await api.receipt(`${id}.1`)).to.include({ status: 'ISSUED', quantity: '30', pledge: null });
      expect(await api.receipt(`${id}.2`)).to.include({ status: 'PLEDGED', quantity: '70' });
    });

    it('releasePledge above the threshold waits; approveRelease releases it all; rejectRelease turns a request down', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledged('alice', { releaseApprovalThreshold: '50' });
      const pending = receiptView.parse((await api.write('releasePledge', 'lender.officer', { id, body: { quantity: '100' } })).data);
      expect(pending.status).to.equal('PLEDGED');
      expect(pending.pendingRelease).to.include({ quantity: '100', requestedBy: 'officer' });
      const approved = receiptView.parse((await api.write('approveRelease', 'lender.approver', { id })).data);
      expect(approved).to.include({ status: 'ISSUED', pledge: null, pendingRelease: null });

      const other = await fixtures.pledged('alice', { releaseApprovalThreshold: '50' });
      await api.write('releasePledge', 'lender.officer', { id: other, body: { quantity: '60' } });
      const rejected = receiptView.parse((await api.write('rejectRelease', 'lender.approver', { id: other, body: { reason: 'loan not repaid' } })).data);
      expect(rejected).to.include({ status: 'PLEDGED', pendingRelease: null });
    });

    it('releasePledge the covenant refuses is LTV_COVENANT; requestReleaseOverride waits; overrideCovenant releases it with a reason', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.covenanted();
      expectProblem(await api.call('releasePledge', 'lender.officer', { id, body: { quantity: '30' } }), 409, 'LTV_COVENANT');
      const pending = receiptView.parse((await api.write('requestReleaseOverride', 'lender.officer', { id, body: { quantity: '30' } })).data);
      expect(pending.pendingRelease).to.deep.include({ quantity: '30', requestedBy: 'officer', covenant: { ltvAfter: '0.714285', warningLtv: '0.7' } });
      const released = receiptView.parse((await api.write('overrideCovenant', 'lender.approver', { id, body: { reason: 'the risk committee accepts the exposure' } })).data);
      expect(released).to.include({ status: 'SPLIT', pendingRelease: null });
      expect(released.children).to.deep.equal([`${id}.1`, `${id}.2`]);
    });

    it('transferReceipt hands the receipt to bob; splitReceipt divides it into exact parts', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.issued('alice');
      const moved = receiptView.parse((await api.write('transferReceipt', 'borrower.alice', { id, body: { newOwner: 'bob' } })).data);
      expect(moved.owner).to.deep.equal({ mspId: 'BorrowerMSP', id: 'bob' });
      expect(await api.receipt(id, 'borrower.bob')).to.include({ id, status: 'ISSUED' });

      const split = receiptView.parse((await api.write('splitReceipt', 'borrower.bob', { id, body: { quantities: ['40.5', '59.5'] } })).data);
      expect(split.status).to.equal('SPLIT');
      expect((await api.receipt(`${id}.1`, 'borrower.bob')).quantity).to.equal('40.5');
      expect((await api.receipt(`${id}.2`, 'borrower.bob')).quantity).to.equal('59.5');
    });

    it('requestWithdrawal then confirmDelivery: the goods leave and the receipt is DELIVERED', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.issued('alice');
      expect(receiptView.parse((await api.write('requestWithdrawal', 'borrower.alice', { id })).data).status).to.equal('WITHDRAWAL_REQUESTED');
      expect(receiptView.parse((await api.write('confirmDelivery', 'custodian.supervisor', { id, body: {} })).data).status).to.equal('DELIVERED');
    });

    it("freezeReceipt puts the organisation's hold on; unfreezeReceipt lifts it", async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledged('alice');
      const frozen = receiptView.parse((await api.write('freezeReceipt', 'lender.approver', { id, body: { reason: 'margin call', reference: 'CASE-1' } })).data);
      expect(frozen.frozen).to.equal(true);
      expect(frozen.freezes[0]).to.include({ org: 'LenderMSP', by: 'approver', reason: 'margin call', reference: 'CASE-1' });
      const unfrozen = receiptView.parse((await api.write('unfreezeReceipt', 'lender.officer', { id, body: { reason: 'margin restored' } })).data);
      expect(unfrozen).to.deep.include({ frozen: false, freezes: [] });
    });

    it('declareDefault then disposeCollateral: the buyer owns an unencumbered receipt', async () => {
      const { api, fixtures } = suite();
      const id = await fixtures.pledged('alice');
      expect(receiptView.parse((await api.write('declareDefault', 'lender.approver', { id, body: { reason: 'missed' } })).data).status).to.equal('DEFAULTED');
      const disposed = receiptView.parse((await api.write('disposeCollateral', 'lender.approver', { id, body: { buyer: 'bob' } })).data);
      expect(disposed).to.deep.include({ status: 'ISSUED', pledge: null, owner: { mspId: 'BorrowerMSP', id: 'bob' } });
    });

    it('recordRiskEvent answers 201; a critical one freezes the receipt; resolveRiskEvent lifts it; both show in risk-events', async () => {
      const { api, fixtures } = suite();
      const receiptId = await fixtures.issued('alice');
      const eventId = uid('RISK');
      const recorded = await api.write('recordRiskEvent', 'custodian.device-gateway', {
        body: { id: eventId, receiptId, kind: 'WATER_INGRESS', severity: 'critical', detail: 'sensor 4 wet', evidenceRef: 'EV-1' },
      });
      expect(recorded.reply.status).to.equal(201);
      expect(riskEvent.parse(recorded.data)).to.include({ id: eventId, status: 'OPEN', severity: 'critical' });
      expect((await api.receipt(receiptId)).frozen).to.equal(true);

      const resolved = riskEvent.parse((await api.write('resolveRiskEvent', 'custodian.supervisor', { id: eventId, body: { resolution: 'dried; goods inspected' } })).data);
      expect(resolved).to.include({ status: 'RESOLVED', resolvedBy: 'supervisor' });
      expect((await api.receipt(receiptId)).frozen).to.equal(false);
      const events = z.array(riskEvent).parse(await api.read('listReceiptRiskEvents', 'borrower.alice', receiptId));
      expect(events.map((event) => [event.id, event.status])).to.deep.equal([[eventId, 'RESOLVED']]);
    });

    it('recordRiskEvent takes severity major and an alarm link, stores it, holds nothing, and records each alarm once', async () => {
      const { api, fixtures } = suite();
      const receiptId = await fixtures.issued('alice');
      const alarm = { alarmId: `alm_${uid('A').toLowerCase().replaceAll(/[^0-9a-z]/g, '')}`, ruleHash: 'a'.repeat(64), evidenceRoot: `0x${'b'.repeat(64)}` };
      const body = { id: `risk-${alarm.alarmId}`, receiptId, kind: 'STOCK_RECONCILIATION', severity: 'major', detail: 'load cells 2% under', alarm };
      const recorded = await api.write('recordRiskEvent', 'custodian.device-gateway', { body });
      expect(recorded.reply.status).to.equal(201);
      expect(riskEvent.parse(recorded.data)).to.deep.include({ severity: 'major', alarm });
      expect((await api.receipt(receiptId)).frozen).to.equal(false);
      expectProblem(await api.call('recordRiskEvent', 'custodian.device-gateway', { body }), 409, 'ALREADY_EXISTS');
      const malformed = { ...body, id: uid('RISK'), alarm: { ...alarm, evidenceRoot: 'b'.repeat(64) } };
      expectProblem(await api.call('recordRiskEvent', 'custodian.device-gateway', { body: malformed }), 400, 'VALIDATION_FAILED');
      const events = z.array(riskEvent).parse(await api.read('listReceiptRiskEvents', 'borrower.alice', receiptId));
      expect(events.map((event) => event.alarm)).to.deep.equal([alarm]);
    });

    it("recordStockCount answers 200 for the custodian's device gateway, naming the alarm and evidence root", async () => {
      const { api, fixtures } = suite();
      const lotId = await fixtures.lot('100');
      const reference = `alarm:alm_${'c'.repeat(32)} root:0x${'d'.repeat(64)}`;
      const counted = lotSchema.parse((await api.write('recordStockCount', 'custodian.device-gateway', { id: lotId, body: { quantity: '99.5', reference } })).data);
      expect(counted.lastCount).to.include({ quantity: '99.5', reference });
    });

    it("GET /v1/receipts lists the caller's receipts from the projection, filtered, with asOfBlock", async () => {
      const { api, fixtures } = suite();
      const mine = await fixtures.issued('bob');
      const page = await api.list('borrower.bob', '?status=ISSUED');
      expect(page.data.map((receipt) => receipt.id)).to.include(mine);
      expect(page.data.every((receipt) => receipt.owner.id === 'bob' && receipt.status === 'ISSUED')).to.equal(true);
      expect(page.asOfBlock).to.equal(api.height() - 1);
      expect(page.next).to.equal(null);
      expect((await api.list('borrower.alice')).data.map((receipt) => receipt.id)).not.to.include(mine);
    });

    it('GET /healthz reports ledger, database and projection up without a token', async () => {
      const { api } = suite();
      const reply = await api.request(null, 'GET', '/healthz');
      expect(reply.status).to.equal(200);
      const health = z
        .object({
          status: z.literal('ok'),
          checks: z.object({
            ledger: z.object({ status: z.literal('up'), height: z.number() }),
            database: z.object({ status: z.literal('up'), kind: z.string() }),
            projection: z.object({ status: z.literal('up') }),
          }),
        })
        .parse(reply.body);
      expect(health.checks.ledger.height).to.equal(api.height());
      expect(health.checks.database.kind).to.equal(target.kind);
    });

    it('GET /metrics is Prometheus text counting requests by route template', async () => {
      const { api } = suite();
      const reply = await api.request(null, 'GET', '/metrics');
      expect(reply.status).to.equal(200);
      expect(reply.headers.get('content-type')).to.match(/^text\/plain/);
      expect(reply.text).to.match(/^wr_http_requests_total\{method="POST",route="POST \/v1\/receipts\/\{id\}\/confirm",status="200"\} \d+$/m);
      expect(reply.text).to.include('wr_ledger_call_duration_seconds_bucket');
    });

    it('GET /openapi.json documents every operation of every module, and the demo identities', async () => {
      const { api } = suite();
      const reply = await api.request(null, 'GET', '/openapi.json');
      expect(reply.status).to.equal(200);
      const document = z
        .object({ openapi: z.string(), paths: z.record(z.string(), z.record(z.string(), z.object({ operationId: z.string() }).loose())) })
        .parse(reply.body);
      expect(document.openapi).to.equal('3.1.0');
      const documented = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
      expect(documented.sort()).to.deep.equal([...everyOperation.map((op) => op.operationId), 'listDevIdentities'].sort());
      // The gateway serves exactly the operations the document is generated from (npm run openapi prints the same).
      expect(everyOperation.map((op) => op.operationId)).to.include.members([...operations.map((op) => op.operationId), ...gatewayOperations.map((op) => op.operationId), 'listReceipts', 'getSession']);
    });

    it('GET /docs/ serves the API page, which reads /openapi.json', async () => {
      const { api } = suite();
      const page = await api.request(null, 'GET', '/docs/');
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(page.text).to.include('swagger-ui');
      const init = await api.request(null, 'GET', '/docs/init.js');
      expect(init.status).to.equal(200);
      expect(init.text).to.include("url: '/openapi.json'");
    });

    it('every operation of the receipts module was exercised successfully by the tests above', () => {
      const { api } = suite();
      expect([...api.exercised].sort()).to.deep.equal(operations.map((op) => op.operationId).sort());
    });

    describe('request ids', () => {
      it('a well-formed X-Request-Id is echoed in the header and in a problem body', async () => {
        const { api } = suite();
        const ok = await api.request(null, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-42.a_b:c' } });
        expect(ok.headers.get('x-request-id')).to.equal('trace-42.a_b:c');
        const refused = await api.request(null, 'GET', '/v1/receipts', { headers: { 'x-request-id': 'trace-43' } });
        expect(expectProblem(refused, 401, 'UNAUTHENTICATED').requestId).to.equal('trace-43');
      });

      for (const [label, offered] of [
        ['with a space', 'has space'],
        ['too long (129 characters)', 'x'.repeat(129)],
        ['empty', ''],
        ['with a slash', 'a/b'],
        ['with a Latin-1 letter', 'caf\u00e9'],
        ['with a quote and angle brackets', '"<script>"'],
      ] as const) {
        it(`an X-Request-Id ${label} is replaced by a fresh UUID, in the header and the problem`, async () => {
          const { api } = suite();
          const reply = await api.request(null, 'GET', '/v1/receipts', { headers: { 'x-request-id': offered } });
          const problem = parseProblem(reply);
          expect(problem.requestId).to.match(uuid);
          expect(problem.requestId).not.to.equal(offered);
        });
      }

      it('requests without X-Request-Id each get a different UUID', async () => {
        const { api } = suite();
        const first = await api.request(null, 'GET', '/healthz');
        const second = await api.request(null, 'GET', '/healthz');
        expect(first.headers.get('x-request-id')).to.match(uuid);
        expect(second.headers.get('x-request-id')).to.match(uuid);
        expect(first.headers.get('x-request-id')).not.to.equal(second.headers.get('x-request-id'));
      });
    });
  });
}
