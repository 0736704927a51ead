import type { ReceiptStatus } from '@wr/chaincode/transitions';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { identityStore } from '../../src/db/identity-store.js';
import { testDatabases } from '../support/postgres.js';
import { allowedFor, canSee, demoIdentities, hasRole, stateActedOn } from './access.js';
import {
  comparableProblem,
  expectProblem,
  expectUnchanged,
  operation,
  pathOf,
  snapshot,
  uid,
  useGateway,
  validBody,
  writeOperations,
  type Api,
  type BodyContext,
} from './helpers.js';

const targets = await testDatabases();

/** Small, so that 413 needs only a few KiB; every other request of this suite fits. */
const BODY_LIMIT_BYTES = 4096;

for (const target of targets) {
  describe(`HTTP refusals on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target, { BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) });

    describe('401 UNAUTHENTICATED', () => {
      const wellFormedUnknown = `wr_${randomBytes(32).toString('base64url')}`;
      const cases: readonly (readonly [string, (api: Api) => Record<string, string>])[] = [
        ['without an Authorization header', () => ({})],
        ['with the Basic scheme', () => ({ authorization: 'Basic Y2xlcms6c2VjcmV0' })],
        ['with "Bearer" and no token', () => ({ authorization: 'Bearer' })],
        ['with a token followed by more words', (api) => ({ authorization: `Bearer ${api.gateway.tokens['custodian.clerk'] ?? ''} extra` })],
        ['with characters a token never has', () => ({ authorization: 'Bearer wr_abc$def!ghi' })],
        ['with a token too short to be one', () => ({ authorization: 'Bearer abc' })],
        ['with a well-formed token nobody was issued', () => ({ authorization: `Bearer ${wellFormedUnknown}` })],
        ['with a real token altered in one character', (api) => ({ authorization: `Bearer ${alter(api.gateway.tokens['custodian.clerk'] ?? '')}` })],
      ];
      for (const [label, headers] of cases) {
        it(`refuses a write ${label}, with WWW-Authenticate, and registers nothing`, async () => {
          const { api } = suite();
          const body = validBody('registerLot', noContext);
          const before = await snapshot(api, []);
          const reply = await api.request(null, 'POST', '/v1/lots', { body, headers: headers(api) });
          expectProblem(reply, 401, 'UNAUTHENTICATED');
          expect(reply.headers.get('www-authenticate')).to.match(/^Bearer realm="warehouse-receipts"/);
          await expectUnchanged(api, before);
          expectProblem(await api.call('getLot', 'custodian.clerk', { id: String(body.id) }), 404, 'NOT_FOUND');
        });
      }

      it('refuses reads without a token too, and before looking for the route (no route discovery)', async () => {
        const { api } = suite();
        expectProblem(await api.request(null, 'GET', '/v1/receipts'), 401, 'UNAUTHENTICATED');
        expectProblem(await api.request(null, 'GET', '/v1/no-such-route'), 401, 'UNAUTHENTICATED');
      });
    });

    describe('403 FORBIDDEN (role), then 404 NOT_FOUND (not a party): every write, every demo identity outside its rule', () => {
      const receipts = new Map<ReceiptStatus, string>();
      let lotId = '';
      let riskEventId = '';
      before(async function () {
        this.timeout(60_000);
        const { fixtures } = suite();
        lotId = await fixtures.lot('1000');
        for (const status of ['DRAFT', 'ISSUED', 'PLEDGE_REQUESTED', 'PLEDGED', 'DEFAULTED', 'WITHDRAWAL_REQUESTED'] as const) {
          receipts.set(status, await fixtures.inState(status, 'alice'));
        }
        riskEventId = await fixtures.riskEvent(receipts.get('ISSUED') ?? '');
      });

      for (const op of writeOperations) {
        const state = stateActedOn(op);
        const allowed = allowedFor(op.call.tx);
        it(`${op.operationId} (${op.call.tx}, ${op.who}): the others get FORBIDDEN, or NOT_FOUND when their role may but they are not party${state ? `, on a receipt in ${state}` : ''}; nothing changes`, async () => {
          const { api } = suite();
          const receiptId = receipts.get(state ?? 'ISSUED') ?? '';
          const id = op.path.startsWith('/v1/lots/') ? lotId : op.path.startsWith('/v1/risk-events/') ? riskEventId : receiptId;
          const before = await snapshot(api, [receiptId], [lotId]);
          let refused = 0;
          for (const identity of demoIdentities) {
            const mayAct = hasRole(identity, allowed);
            if (mayAct && canSee(identity, state ?? 'ISSUED')) continue; // the actor itself: its success is the happy path
            const reply = await api.call(op.operationId, identity.id, { id, body: validBody(op.operationId, { lotId, receiptId }) });
            if (mayAct) expectProblem(reply, 404, 'NOT_FOUND');
            else expectProblem(reply, 403, 'FORBIDDEN');
            refused++;
          }
          expect(refused, 'identities refused').to.be.greaterThan(0);
          await expectUnchanged(api, before);
        });
      }
    });

    describe('404 NOT_FOUND for receipts the caller may not see, exactly as for receipts that do not exist', () => {
      let hidden = '';
      before(async () => {
        hidden = await suite().fixtures.issued('alice');
      });

      const probes: readonly (readonly [string, string])[] = [
        ['getReceipt', 'borrower.bob'],
        ['getReceiptHistory', 'borrower.bob'],
        ['getEncumbrance', 'borrower.bob'],
        ['listReceiptRiskEvents', 'borrower.bob'],
        ['requestPledge', 'borrower.bob'],
        ['transferReceipt', 'borrower.bob'],
        ['splitReceipt', 'borrower.bob'],
        ['requestWithdrawal', 'borrower.bob'],
        ['getReceipt', 'lender.officer'],
        ['getEncumbrance', 'lender.approver'],
      ];
      for (const [operationId, who] of probes) {
        it(`${who}'s ${operationId} of alice's receipt is 404 with the same body as for a missing receipt, and changes nothing`, async () => {
          const { api } = suite();
          const missing = uid('WR');
          const before = await snapshot(api, [hidden]);
          const body = operation(operationId).method === 'post' ? validBody(operationId, noContext) : undefined;
          const invisible = expectProblem(await api.call(operationId, who, { id: hidden, body }), 404, 'NOT_FOUND');
          const absent = expectProblem(await api.call(operationId, who, { id: missing, body }), 404, 'NOT_FOUND');
          expect(comparableProblem(invisible, [hidden])).to.deep.equal(comparableProblem(absent, [missing]));
          await expectUnchanged(api, before);
        });
      }

      it("bob's listing leaves alice's receipt out, even when he filters on her", async () => {
        const { api } = suite();
        expect((await api.list('borrower.bob')).data.map((receipt) => receipt.id)).not.to.include(hidden);
        expect((await api.list('borrower.bob', '?owner=alice')).data).to.deep.equal([]);
        expect((await api.list('borrower.alice', '?owner=alice')).data.map((receipt) => receipt.id)).to.include(hidden);
      });
    });

    describe('409 and 422: rule violations', () => {
      it('confirming a receipt that is already ISSUED is 409 INVALID_STATE', async () => {
        const { api, fixtures } = suite();
        const id = await fixtures.issued();
        const before = await snapshot(api, [id]);
        expectProblem(await api.call('confirmReceipt', 'custodian.supervisor', { id }), 409, 'INVALID_STATE');
        await expectUnchanged(api, before);
      });

      it('a second pledge request is 409 ALREADY_PLEDGED, while the first is requested and once it is accepted', async () => {
        const { api, fixtures } = suite();
        const id = await fixtures.pledgeRequested('alice');
        const second = { lender: 'LenderMSP', loanReference: 'LOAN-8', loanAmount: '1', currency: 'CNY' };
        let before = await snapshot(api, [id]);
        const refused = expectProblem(await api.call('requestPledge', 'borrower.alice', { id, body: second }), 409, 'ALREADY_PLEDGED');
        expect(refused.txId, 'a refused proposal was never ordered: no transaction id to look up').to.equal(undefined);
        await expectUnchanged(api, before);
        await api.write('acceptPledge', 'lender.officer', { id });
        before = await snapshot(api, [id]);
        expectProblem(await api.call('requestPledge', 'borrower.alice', { id, body: second }), 409, 'ALREADY_PLEDGED');
        expectProblem(await api.call('acceptPledge', 'lender.officer', { id }), 409, 'ALREADY_PLEDGED');
        await expectUnchanged(api, before);
      });

      it("a frozen receipt refuses its owner's withdrawal with 409 FROZEN", async () => {
        const { api, fixtures } = suite();
        const id = await fixtures.issued('alice');
        await api.write('freezeReceipt', 'custodian.supervisor', { id, body: { reason: 'inspection', reference: 'INS-1' } });
        const before = await snapshot(api, [id]);
        expectProblem(await api.call('requestWithdrawal', 'borrower.alice', { id }), 409, 'FROZEN');
        await expectUnchanged(api, before);
      });

      it('registering a lot id that exists is 409 ALREADY_EXISTS and leaves the lot as it was', async () => {
        const { api, fixtures } = suite();
        const lotId = await fixtures.lot('10');
        const before = await snapshot(api, [], [lotId]);
        const again = { ...validBody('registerLot', noContext), id: lotId, quantity: '99' };
        expectProblem(await api.call('registerLot', 'custodian.clerk', { body: again }), 409, 'ALREADY_EXISTS');
        await expectUnchanged(api, before);
      });

      it('a receipt beyond what the lot holds is 422 OVER_ISSUE (500 of 1000.005 issued, 600 more refused)', async () => {
        const { api, fixtures } = suite();
        const lotId = await fixtures.lot('1000.005');
        const first = await fixtures.draft('alice', '500', lotId);
        const before = await snapshot(api, [first], [lotId]);
        const beyond = uid('WR');
        const reply = await api.call('draftReceipt', 'custodian.clerk', { body: { id: beyond, lotId, owner: 'bob', quantity: '600' } });
        expectProblem(reply, 422, 'OVER_ISSUE');
        await expectUnchanged(api, before);
        expectProblem(await api.call('getReceipt', 'custodian.clerk', { id: beyond }), 404, 'NOT_FOUND');
        // exactly what is left still fits
        await api.write('draftReceipt', 'custodian.clerk', { body: { id: uid('WR'), lotId, owner: 'bob', quantity: '500.005' } });
      });
    });

    describe('400: malformed bodies never reach the ledger', () => {
      let lotId = '';
      let issued = '';
      before(async () => {
        const { fixtures } = suite();
        lotId = await fixtures.lot('1000');
        issued = await fixtures.issued('alice');
      });

      /** A draft whose one field is replaced: [what, field, value]. */
      const draftFieldCases: readonly (readonly [string, string, unknown])[] = [
        ['a quantity as a JSON number', 'quantity', 100],
        ['a quantity "1e400"', 'quantity', '1e400'],
        ['a quantity of 19 integer digits', 'quantity', '9999999999999999999'],
        ['a negative quantity', 'quantity', '-5'],
        ['a quantity "NaN"', 'quantity', 'NaN'],
        ['a quantity "Infinity"', 'quantity', 'Infinity'],
        ['a hexadecimal quantity', 'quantity', '0x1F'],
        ['a quantity with 7 fraction digits', 'quantity', '1.0000001'],
        ['a quantity with leading whitespace', 'quantity', ' 100'],
        ['a quantity of Arabic-Indic digits', 'quantity', '\u0661\u0660\u0660'],
        ['a quantity of full-width digits', 'quantity', '\uff11\uff10\uff10'],
        ['a quantity with a NUL', 'quantity', '100\u0000'],
        ['an id with a Cyrillic homoglyph', 'id', 'WR-\u0410BC'],
        ['an id of 65 characters', 'id', `W${'x'.repeat(64)}`],
        ['an id starting with a symbol', 'id', '-WR-1'],
        ['an owner with a Cyrillic homoglyph', 'owner', '\u0430lice'],
        ['an owner with a zero-width space', 'owner', 'alice\u200b'],
        ['an owner of 129 characters', 'owner', `a${'x'.repeat(128)}`],
        ['a lotId with a bidi override', 'lotId', 'LOT\u202e1'],
        ['a description with a NUL', 'description', 'A00\u0000ingots'],
        ['a description with a bell character', 'description', 'A00\u0007'],
        ['a description with a lone low surrogate', 'description', 'A00 \udc00'],
        ['a description with a right-to-left override', 'description', 'ingots \u202eexe.fdp'],
        ['a description with a zero-width space', 'description', 'ingots\u200b'],
        ['a description with a byte-order mark', 'description', '\ufeffingots'],
        ['a blank description', 'description', '   '],
        ['a description of 1001 characters', 'description', 'x'.repeat(1001)],
        ['an id that is a number', 'id', 123],
        ['an owner that is null', 'owner', null],
        ['a description that is a boolean', 'description', true],
        ['a lotId that is an array', 'lotId', ['LOT-1']],
        ['an extra property', 'status', 'ISSUED'],
      ];
      for (const [label, field, value] of draftFieldCases) {
        it(`a draft with ${label} is 400 VALIDATION_FAILED naming ${field}, and nothing changes`, async () => {
          const { api } = suite();
          const id = uid('WR');
          const body: Record<string, unknown> = { id, lotId, owner: 'alice', quantity: '100', description: 'A00 ingots', [field]: value };
          await expectRefusedDraft(api, lotId, id, { body }, field === 'status' ? '' : field);
        });
      }

      const rawDraftCases: readonly (readonly [string, (id: string) => string, string])[] = [
        ['a quantity 1e400 as a JSON number (Infinity)', (id) => `{"id":"${id}","lotId":"LOT","owner":"alice","quantity":1e400}`, 'quantity'],
        ['a quantity 9999999999999999999 as a JSON number', (id) => `{"id":"${id}","lotId":"LOT","owner":"alice","quantity":9999999999999999999}`, 'quantity'],
        ['a lone high surrogate written "\\ud800" in the JSON', (id) => `{"id":"${id}","lotId":"LOT","owner":"alice","quantity":"1","description":"A00 \\ud800"}`, 'description'],
        ['a "__proto__" property', (id) => `{"id":"${id}","lotId":"LOT","owner":"alice","quantity":"1","__proto__":{"status":"ISSUED"}}`, ''],
        ['no id', () => '{"lotId":"LOT","owner":"alice","quantity":"1"}', 'id'],
        ['an empty object', () => '{}', 'id'],
        ['an array instead of an object', () => '[]', ''],
      ];
      for (const [label, raw, field] of rawDraftCases) {
        it(`a draft with ${label} is 400 VALIDATION_FAILED, and nothing changes`, async () => {
          const { api } = suite();
          const id = uid('WR');
          const rawBody = raw(id).replaceAll('"LOT"', JSON.stringify(lotId));
          await expectRefusedDraft(api, lotId, id, { rawBody, headers: { 'content-type': 'application/json' } }, field);
        });
      }

      const otherCases: readonly (readonly [string, string, string, (issued: string) => Record<string, unknown>, 400, string])[] = [
        ['requestPledge', 'borrower.alice', 'a loan amount as a number', () => ({ lender: 'LenderMSP', loanReference: 'L-1', loanAmount: 5, currency: 'CNY' }), 400, 'VALIDATION_FAILED'],
        ['requestPledge', 'borrower.alice', 'a lower-case currency', () => ({ lender: 'LenderMSP', loanReference: 'L-1', loanAmount: '5', currency: 'cny' }), 400, 'VALIDATION_FAILED'],
        ['requestPledge', 'borrower.alice', 'a zero loan amount (the chaincode refuses it)', () => ({ lender: 'LenderMSP', loanReference: 'L-1', loanAmount: '0', currency: 'CNY' }), 400, 'INVALID_ARGUMENT'],
        ['requestPledge', 'borrower.alice', 'a lender that is no lending organisation (the chaincode refuses it)', () => ({ lender: 'BorrowerMSP', loanReference: 'L-1', loanAmount: '5', currency: 'CNY' }), 400, 'INVALID_ARGUMENT'],
        ['splitReceipt', 'borrower.alice', 'parts that do not add up (the chaincode refuses it)', () => ({ quantities: ['40', '50'] }), 400, 'INVALID_ARGUMENT'],
        ['splitReceipt', 'borrower.alice', 'a single part', () => ({ quantities: ['100'] }), 400, 'VALIDATION_FAILED'],
        ['splitReceipt', 'borrower.alice', '101 parts', () => ({ quantities: Array.from({ length: 101 }, () => '1') }), 400, 'VALIDATION_FAILED'],
        ['transferReceipt', 'borrower.alice', 'the owner herself as new owner (the chaincode refuses it)', () => ({ newOwner: 'alice' }), 400, 'INVALID_ARGUMENT'],
        ['recordRiskEvent', 'custodian.device-gateway', 'both a receipt and a lot', (receiptId) => ({ id: uid('RISK'), receiptId, lotId: 'LOT-1', kind: 'HEAT', severity: 'warning', detail: 'x' }), 400, 'VALIDATION_FAILED'],
        ['recordRiskEvent', 'custodian.device-gateway', 'an upper-case severity', (receiptId) => ({ id: uid('RISK'), receiptId, kind: 'HEAT', severity: 'CRITICAL', detail: 'x' }), 400, 'VALIDATION_FAILED'],
        ['confirmReceipt', 'custodian.supervisor', 'a property on an empty body', () => ({ force: true }), 400, 'VALIDATION_FAILED'],
      ];
      for (const [operationId, who, label, body, status, code] of otherCases) {
        it(`${operationId} with ${label} is ${status.toString()} ${code}, and nothing changes`, async () => {
          const { api } = suite();
          const before = await snapshot(api, [issued]);
          const id = operation(operationId).path.includes('{id}') ? issued : undefined;
          expectProblem(await api.call(operationId, who, { ...(id ? { id } : {}), body: body(issued) }), status, code);
          await expectUnchanged(api, before);
        });
      }

      it('a path id that is not valid percent-encoding is 400, not a server error', async () => {
        const { api } = suite();
        const before = await snapshot(api, [issued]);
        expectProblem(await api.request('custodian.supervisor', 'POST', '/v1/receipts/%E0%A4%A/confirm', { body: {} }), 400, 'VALIDATION_FAILED');
        expectProblem(await api.request('custodian.auditor', 'GET', '/v1/receipts/%ZZ'), 400, 'VALIDATION_FAILED');
        await expectUnchanged(api, before);
      });

      it('a path id with a Cyrillic homoglyph or an encoded slash is 400 VALIDATION_FAILED', async () => {
        const { api } = suite();
        const lookalike = issued.replace('WR', 'W\u0420'); // Cyrillic Er
        expectProblem(await api.call('getReceipt', 'custodian.auditor', { id: lookalike }), 400, 'VALIDATION_FAILED');
        expectProblem(await api.call('getReceipt', 'custodian.auditor', { id: `${issued}/history` }), 400, 'VALIDATION_FAILED');
      });
    });

    describe('413, 415 and malformed JSON', () => {
      it(`a body over BODY_LIMIT_BYTES (${BODY_LIMIT_BYTES.toString()}) is 413 PAYLOAD_TOO_LARGE though valid, with or without a token`, async () => {
        const { api } = suite();
        const documents = Array.from({ length: 60 }, (_, index) => ({ name: `ticket ${index.toString()}`, sha256: 'a'.repeat(64) }));
        const body: Record<string, unknown> = { ...validBody('registerLot', noContext), documents };
        expect(JSON.stringify(body).length).to.be.greaterThan(BODY_LIMIT_BYTES);
        const before = await snapshot(api, []);
        expectProblem(await api.call('registerLot', 'custodian.clerk', { body }), 413, 'PAYLOAD_TOO_LARGE');
        expectProblem(await api.call('registerLot', null, { body }), 413, 'PAYLOAD_TOO_LARGE');
        await expectUnchanged(api, before);
        expectProblem(await api.call('getLot', 'custodian.clerk', { id: String(body.id) }), 404, 'NOT_FOUND');
      });

      it('a small gzip body that inflates beyond the limit is 413 (no decompression bomb)', async () => {
        const { api } = suite();
        const inflated = JSON.stringify({ ...validBody('registerLot', noContext), location: ' '.repeat(100_000) });
        const rawBody = gzipSync(inflated);
        expect(rawBody.length).to.be.lessThan(BODY_LIMIT_BYTES);
        const before = await snapshot(api, []);
        const reply = await api.request('custodian.clerk', 'POST', '/v1/lots', { rawBody, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
        expectProblem(reply, 413, 'PAYLOAD_TOO_LARGE');
        await expectUnchanged(api, before);
      });

      const unsupported: readonly (readonly [string, Record<string, string>, string | Uint8Array])[] = [
        ['text/plain', { 'content-type': 'text/plain' }, ''],
        ['form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, ''],
        ['multipart/form-data', { 'content-type': 'multipart/form-data; boundary=x' }, ''],
        ['JSON in Latin-1', { 'content-type': 'application/json; charset=latin1' }, ''],
        ['no Content-Type at all', {}, 'bytes'],
        ['an unknown Content-Encoding', { 'content-type': 'application/json', 'content-encoding': 'bogus' }, ''],
      ];
      for (const [label, headers, kind] of unsupported) {
        it(`a valid JSON body sent as ${label} is 415 UNSUPPORTED_MEDIA_TYPE, and nothing is registered`, async () => {
          const { api } = suite();
          const body = validBody('registerLot', noContext);
          const text = JSON.stringify(body);
          const before = await snapshot(api, []);
          const reply = await api.request('custodian.clerk', 'POST', '/v1/lots', { rawBody: kind === 'bytes' ? new TextEncoder().encode(text) : text, headers });
          expectProblem(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
          await expectUnchanged(api, before);
          expectProblem(await api.call('getLot', 'custodian.clerk', { id: String(body.id) }), 404, 'NOT_FOUND');
        });
      }

      const malformed: readonly (readonly [string, string | Uint8Array, Record<string, string>])[] = [
        ['truncated JSON', '{"reason": "x"', {}],
        ['a trailing comma', '{"reason": "x",}', {}],
        ['single quotes', "{'reason': 'x'}", {}],
        ['a bare string', '"x"', {}],
        ['null', 'null', {}],
        ['a NaN literal', '{"reason": NaN}', {}],
        ['a comment', '{"reason": "x" /* why */}', {}],
        ['gzip that is not gzip', '{"reason": "x"}', { 'content-encoding': 'gzip' }],
      ];
      let draft = '';
      before(async () => {
        draft = await suite().fixtures.draft('alice', '1');
      });
      for (const [label, rawBody, headers] of malformed) {
        it(`a cancellation with a body of ${label} is 400 MALFORMED_JSON, and the draft stays a draft`, async () => {
          const { api } = suite();
          const id = draft;
          const before = await snapshot(api, [id]);
          const bad = await api.request('custodian.clerk', 'POST', pathOf(operation('cancelDraft'), id), { rawBody, headers: { 'content-type': 'application/json', ...headers } });
          expectProblem(bad, 400, 'MALFORMED_JSON');
          await expectUnchanged(api, before);
        });
      }
    });

    describe('404 ROUTE_NOT_FOUND', () => {
      const routes: readonly (readonly [string | null, string, string])[] = [
        ['custodian.auditor', 'GET', '/v1/no-such-thing'],
        ['custodian.auditor', 'GET', '/v2/receipts'],
        ['custodian.supervisor', 'POST', '/v1/receipts/WR-1/approve-everything'],
        [null, 'GET', '/admin'],
        [null, 'POST', '/healthz'],
      ];
      for (const [who, method, path] of routes) {
        it(`${method} ${path}${who === null ? ' (no token)' : ''} is 404 ROUTE_NOT_FOUND pointing at /openapi.json`, async () => {
          const { api } = suite();
          const before = await snapshot(api, []);
          const problem = expectProblem(await api.request(who, method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} }), 404, 'ROUTE_NOT_FOUND');
          expect(problem.detail).to.include('/openapi.json');
          expect(problem.instance).to.equal(path);
          await expectUnchanged(api, before);
        });
      }
    });

    describe('405 METHOD_NOT_ALLOWED', () => {
      const wrongMethods: readonly (readonly [string, string, string, string])[] = [
        ['custodian.clerk', 'DELETE', '/v1/receipts/WR-1', 'GET'],
        ['custodian.clerk', 'PUT', '/v1/lots', 'POST'],
        ['custodian.clerk', 'PATCH', '/v1/receipts/WR-1', 'GET'],
        ['custodian.supervisor', 'GET', '/v1/receipts/WR-1/confirm', 'POST'],
        ['custodian.clerk', 'POST', '/v1/receipts/WR-1', 'GET'],
        ['custodian.clerk', 'DELETE', '/v1/receipts', 'GET, POST'],
      ];
      for (const [who, method, path, allow] of wrongMethods) {
        it(`${method} ${path} is 405 METHOD_NOT_ALLOWED with Allow: ${allow}`, async () => {
          const { api } = suite();
          const before = await snapshot(api, []);
          const reply = await api.request(who, method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
          const problem = expectProblem(reply, 405, 'METHOD_NOT_ALLOWED');
          expect(reply.headers.get('allow')).to.equal(allow);
          expect(problem.instance).to.equal(path);
          await expectUnchanged(api, before);
        });
      }
    });

    describe('a revoked token', () => {
      it('gets 401 after the admin revokes it (gateway stopped, as with the CLI); its identity gets a new token and every other token still works', async function () {
        this.timeout(60_000);
        const { api } = suite();
        const tokensBefore = { ...api.gateway.tokens };
        const revoked = tokensBefore['borrower.bob'] ?? '';
        expect((await api.request(null, 'GET', '/v1/receipts', { headers: { authorization: `Bearer ${revoked}` } })).status).to.equal(200);

        api.gateway = await api.gateway.restart(async () => {
          const db = await target.open();
          try {
            const store = identityStore(db);
            const live = (await store.listTokens('borrower.bob')).filter((token) => token.revokedAt === null);
            expect(live).to.have.length(1);
            expect(await store.revokeToken(live[0]?.id ?? '')).to.equal(true);
          } finally {
            await db.close();
          }
        });

        const refused = expectProblem(await api.request(null, 'GET', '/v1/receipts', { headers: { authorization: `Bearer ${revoked}` } }), 401, 'UNAUTHENTICATED');
        expect(refused.detail).to.include('revoked');
        const renewed = api.gateway.tokens['borrower.bob'];
        expect(renewed).to.be.a('string').and.not.equal(revoked);
        expect((await api.request('borrower.bob', 'GET', '/v1/receipts')).status).to.equal(200);
        for (const identity of demoIdentities.filter((each) => each.id !== 'borrower.bob')) {
          expect(api.gateway.tokens[identity.id], `${identity.id} keeps its token`).to.equal(tokensBefore[identity.id]);
          expect((await api.request(identity.id, 'GET', '/v1/receipts')).status, identity.id).to.equal(200);
        }
      });
    });
  });
}

const noContext: BodyContext = { lotId: '', receiptId: '' };

/** A different token of the same shape: one character changed. */
function alter(token: string): string {
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -1)}${last}`;
}

/** A refused draft: 400 VALIDATION_FAILED naming `field` (when given), no receipt, the lot and ledger unchanged. */
async function expectRefusedDraft(
  api: Api,
  lotId: string,
  id: string,
  request: { body?: unknown; rawBody?: string; headers?: Record<string, string> },
  field: string,
): Promise<void> {
  const before = await snapshot(api, [], [lotId]);
  const reply = await api.request('custodian.clerk', 'POST', '/v1/receipts', request);
  const problem = expectProblem(reply, 400, 'VALIDATION_FAILED');
  const errors = problem.errors;
  expect(errors).to.be.an('array').that.is.not.empty;
  if (field !== '') expect(JSON.stringify(errors)).to.include(`"path":"${field}`);
  await expectUnchanged(api, before);
  expectProblem(await api.call('getReceipt', 'custodian.clerk', { id }), 404, 'NOT_FOUND');
}
