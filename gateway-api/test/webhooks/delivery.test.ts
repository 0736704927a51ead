import { expect } from 'chai';
import { useTestGateway, type TestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { uid } from '../http/helpers.js';
import { pledgedLot } from '../supervision/support.js';
import { deliveries, startReceiver, subscribe, verifySignature, type Receiver } from './receiver.js';

const targets = await testDatabases();

/** Releases part of alice's pledged receipt as the lender (the receipt splits: `.1` released, `.2` still pledged). */
async function release(gw: TestGateway, receiptId: string, quantity: string): Promise<void> {
  const reply = await gw.request('lender.officer', 'POST', `/v1/receipts/${receiptId}/release`, { body: { quantity } });
  expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
  await gw.gateway.projectionCaughtUp();
}

/** A receipt of bob's, issued and not pledged: the custodian, bob and the borrowers' auditor see it; alice and the lender do not. */
async function bobsReceipt(gw: TestGateway): Promise<{ lotId: string; receiptId: string }> {
  const lotId = uid('LOT-BOB');
  const lot = await gw.request('custodian.clerk', 'POST', '/v1/lots', { body: { id: lotId, warehouseId: uid('WH-BOB'), location: 'room 1', commodity: 'copper', unit: 't', quantity: '100' } });
  expect(lot.status, lot.text).to.equal(201);
  const draft = await gw.request('custodian.clerk', 'POST', '/v1/receipts', { body: { id: uid('WR-BOB'), lotId, owner: 'bob', quantity: '50' } });
  expect(draft.status, draft.text).to.equal(201);
  const receiptId = (draft.body as { data: { id: string } }).data.id;
  const confirmed = await gw.request('custodian.supervisor', 'POST', `/v1/receipts/${receiptId}/confirm`, { body: {} });
  expect(confirmed.status, confirmed.text).to.equal(200);
  await gw.gateway.projectionCaughtUp();
  return { lotId, receiptId };
}

/** Waits until none of the subscriptions has a pending delivery, as their owners read the logs. */
async function drained(gw: TestGateway, subscriptions: readonly { who: string; id: string }[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    for (const { who, id } of subscriptions) pending += (await deliveries(gw, who, id, 'pending')).length;
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending.toString()} deliveries still pending`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const target of targets) {
  describe(`Webhooks on ${target.name}: signed, retried, ordered per object, visible only to their party`, function () {
    this.timeout(120_000);
    const gw = useTestGateway(target, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '300', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '150' });
    let receiver: Receiver;
    beforeEach(async () => {
      receiver = await startReceiver();
    });
    afterEach(async () => {
      // Deleting every subscription keeps one test's deliveries out of the next one's receiver.
      for (const who of ['lender.officer', 'borrower.alice', 'borrower.bob', 'custodian.supervisor']) {
        const listed = (await gw().request(who, 'GET', '/v1/webhooks')).body as { data: { id: string }[] };
        for (const { id } of listed.data) expect((await gw().request(who, 'DELETE', `/v1/webhooks/${id}`)).status).to.equal(200);
      }
      await receiver.close();
    });

    it('signs every delivery (Standard Webhooks: webhook-id = the event id, v1 HMAC-SHA256 over id.timestamp.body); a tampered body or another secret does not verify', async () => {
      const id = await subscribe(gw(), 'lender.officer', receiver, '/lender');
      const { receiptId } = await pledgedLot(gw());
      await receiver.until('the pledge acceptance', () => receiver.accepted('/lender').some((entry) => entry.payload.type === 'receipt.pledge-accepted' && entry.payload.object.id === receiptId));
      const got = receiver.accepted('/lender');
      expect(got.length).to.be.at.least(2);
      for (const entry of got) {
        expect(entry.verified, entry.payload.type).to.equal(true);
        expect(entry.headers['webhook-id']).to.equal(entry.payload.id);
        expect(entry.headers['content-type']).to.equal('application/json');
        expect(entry.headers['user-agent']).to.match(/^wr-registry-webhooks\//);
        expect(Math.abs(Number(entry.headers['webhook-timestamp']) - Date.now() / 1000)).to.be.below(30);
      }
      const [first] = got;
      if (first === undefined) throw new Error('nothing received');
      const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
      expect(verifySignature(secret, first.headers, first.body), 'another secret').to.equal(false);
      const tampered = first.body.replace(receiptId, `${receiptId}X`);
      expect(tampered).to.not.equal(first.body);
      const real = (await gw().request('lender.officer', 'GET', `/v1/webhooks/${id}`)).body as { data: Record<string, unknown> };
      expect(real.data, 'the secret is never shown again').to.not.have.property('secret');
      const withRealSecret = (body: string): boolean => verifySignature(realSecret(receiver, '/lender'), first.headers, body);
      expect(withRealSecret(first.body)).to.equal(true);
      expect(withRealSecret(tampered), 'tampered body').to.equal(false);
      expect(verifySignature(realSecret(receiver, '/lender'), first.headers, first.body, Date.now() + 6 * 60_000), 'a timestamp older than 5 minutes').to.equal(false);
    });

    it('a receiver that fails (500), then hangs past WEBHOOK_TIMEOUT_MS, then recovers gets every event exactly once by webhook-id, each object in commit order', async () => {
      const id = await subscribe(gw(), 'lender.officer', receiver, '/flaky');
      // Requests 0-5 fail, 6-8 hang (timeouts), then it answers 200.
      receiver.behave(({ count }) => (count < 6 ? { status: 500 } : count < 9 ? 'hang' : { status: 200 }));
      const lots = [];
      for (let i = 0; i < 3; i++) lots.push(await pledgedLot(gw()));
      for (const lot of lots) await release(gw(), lot.receiptId, '100');
      await drained(gw(), [{ who: 'lender.officer', id }]);
      const log = await deliveries(gw(), 'lender.officer', id);
      expect(log.every((entry) => entry.status === 'delivered'), JSON.stringify(log.filter((entry) => entry.status !== 'delivered'))).to.equal(true);
      const accepted = receiver.accepted('/flaky');
      const ids = accepted.map((entry) => entry.headers['webhook-id']);
      expect(new Set(ids).size, 'no event accepted twice').to.equal(ids.length);
      expect([...ids].sort()).to.deep.equal(log.map((entry) => entry.eventId).sort());
      expect(receiver.received.filter((entry) => entry.answered === 500).length).to.equal(6);
      expect(receiver.received.filter((entry) => entry.answered === 'hang').length).to.equal(3);
      expect(log.flatMap((entry) => entry.attempts).filter((attempt) => attempt.error?.startsWith('timeout')).length, 'the hangs are timeouts in the log').to.equal(3);
      for (const lot of lots) {
        // (Whether the lender also hears of the draft and issue depends on how the projection batched the blocks: the
        // outbox tells an event to who sees the receipt as the projection holds it then.)
        const types = accepted.filter((entry) => entry.payload.object.id === lot.receiptId).map((entry) => entry.payload.type);
        const lenders = ['receipt.pledge-requested', 'receipt.pledge-accepted', 'receipt.released'];
        expect(types.filter((type) => lenders.includes(type)), lot.receiptId).to.deep.equal(lenders);
        expect(types.slice(-3), lot.receiptId).to.deep.equal(lenders);
      }
      // Order per object, over every request (failed ones too): nothing about an object was sent before each earlier
      // event about it (in the log's order, which is commit order) had been accepted.
      const order = new Map(log.map((entry, index) => [entry.eventId, index]));
      const acceptedSoFar = new Set<string>();
      for (const entry of receiver.received) {
        const position = order.get(entry.payload.id) ?? -1;
        const earlier = log.filter((other, index) => index < position && other.object.id === entry.payload.object.id);
        for (const other of earlier) expect(acceptedSoFar.has(other.eventId), `${entry.payload.type} of ${entry.payload.object.id} sent before ${other.eventType} was accepted`).to.equal(true);
        if (entry.answered === 200) acceptedSoFar.add(entry.payload.id);
      }
    });

    it('redelivery sends a delivered event again with the same webhook-id, and the log shows both attempts', async () => {
      const id = await subscribe(gw(), 'lender.officer', receiver, '/again');
      const { receiptId } = await pledgedLot(gw());
      await receiver.until('the pledge acceptance', () => receiver.accepted('/again').some((entry) => entry.payload.type === 'receipt.pledge-accepted' && entry.payload.object.id === receiptId));
      await drained(gw(), [{ who: 'lender.officer', id }]);
      const delivery = (await deliveries(gw(), 'lender.officer', id)).find((entry) => entry.eventType === 'receipt.pledge-accepted' && entry.object.id === receiptId);
      if (delivery === undefined) throw new Error('no delivery of the acceptance');
      expect(delivery.status).to.equal('delivered');
      const before = receiver.accepted('/again').length;
      const queued = await gw().request('lender.officer', 'POST', `/v1/webhooks/${id}/deliveries/${delivery.id}/redelivery`, { body: {} });
      expect(queued.status, queued.text).to.equal(200);
      await receiver.until('the redelivery', () => receiver.accepted('/again').length > before);
      const again = receiver.accepted('/again').at(-1);
      expect(again?.headers['webhook-id']).to.equal(delivery.eventId);
      expect(again?.verified).to.equal(true);
      await drained(gw(), [{ who: 'lender.officer', id }]);
      const reply = await gw().request('lender.officer', 'GET', `/v1/webhooks/${id}/deliveries/${delivery.id}`);
      const logged = (reply.body as { data: { status: string; attempts: { statusCode: number | null }[] } }).data;
      expect(logged.status).to.equal('delivered');
      expect(logged.attempts.map((attempt) => attempt.statusCode)).to.deep.equal([200, 200]);
      // Another party's subscription, and its deliveries, do not exist for the caller.
      for (const path of [`/v1/webhooks/${id}`, `/v1/webhooks/${id}/deliveries`, `/v1/webhooks/${id}/deliveries/${delivery.id}`]) {
        const foreign = await gw().request('custodian.supervisor', 'GET', path);
        expect(foreign.status, path).to.equal(404);
        expect((foreign.body as { code: string }).code).to.equal('WEBHOOK_NOT_FOUND');
      }
      expect((await gw().request('borrower.alice', 'POST', `/v1/webhooks/${id}/deliveries/${delivery.id}/redelivery`, { body: {} })).status).to.equal(404);
    });

    it('a paused subscription queues its deliveries without attempting them; resumed, it gets them in order', async () => {
      const id = await subscribe(gw(), 'custodian.supervisor', receiver, '/paused', { types: ['lot.registered'] });
      expect((await gw().request('custodian.supervisor', 'POST', `/v1/webhooks/${id}/pause`, { body: {} })).status).to.equal(200);
      const lotIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const lotId = uid('LOT-PAUSE');
        lotIds.push(lotId);
        const reply = await gw().request('custodian.clerk', 'POST', '/v1/lots', { body: { id: lotId, warehouseId: 'WH-PAUSE', location: 'a', commodity: 'zinc', unit: 't', quantity: '10' } });
        expect(reply.status).to.equal(201);
      }
      await gw().gateway.projectionCaughtUp();
      const deadline = Date.now() + 10_000;
      while ((await deliveries(gw(), 'custodian.supervisor', id, 'pending')).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received.length, 'nothing sent while paused').to.equal(0);
      expect((await deliveries(gw(), 'custodian.supervisor', id, 'pending')).length).to.equal(3);
      expect((await gw().request('custodian.supervisor', 'POST', `/v1/webhooks/${id}/resume`, { body: {} })).status).to.equal(200);
      await receiver.until('the queued lots', () => receiver.accepted('/paused').length === 3);
      expect(receiver.accepted('/paused').map((entry) => entry.payload.object.id).sort()).to.deep.equal([...lotIds].sort());
    });

    it("each party hears only of objects it may see: bob nothing of alice's receipt, the lender its release, the custodian everything", async () => {
      const parties = [
        { who: 'lender.officer', path: '/lender' },
        { who: 'borrower.alice', path: '/alice' },
        { who: 'borrower.bob', path: '/bob' },
        { who: 'custodian.supervisor', path: '/custodian' },
      ];
      const subscriptions = [];
      for (const { who, path } of parties) subscriptions.push({ who, id: await subscribe(gw(), who, receiver, path) });
      const alices = await pledgedLot(gw());
      await release(gw(), alices.receiptId, '300');
      const bobs = await bobsReceipt(gw());
      await drained(gw(), subscriptions);
      const heard = (path: string) => receiver.accepted(path).map((entry) => entry.payload);
      const objects = (path: string) => new Set(heard(path).map((payload) => payload.object.id));
      const aliceReceipts = [alices.receiptId, `${alices.receiptId}.1`, `${alices.receiptId}.2`];

      expect([...objects('/bob')].filter((object) => aliceReceipts.includes(object) || object === alices.lotId), 'bob of alice').to.deep.equal([]);
      expect(objects('/bob').has(bobs.receiptId)).to.equal(true);
      expect(objects('/alice').has(bobs.receiptId), 'alice of bob').to.equal(false);
      expect(objects('/alice').has(alices.receiptId)).to.equal(true);
      expect(objects('/lender').has(bobs.receiptId), 'the lender of bob').to.equal(false);
      expect(heard('/lender').some((payload) => payload.type === 'receipt.released' && payload.object.id === alices.receiptId), 'the lender hears its release').to.equal(true);
      for (const object of [alices.receiptId, bobs.receiptId, alices.lotId, bobs.lotId]) expect(objects('/custodian').has(object), `custodian: ${object}`).to.equal(true);
      // Lots are the custodian's alone.
      for (const path of ['/lender', '/alice', '/bob']) expect(heard(path).filter((payload) => payload.object.type === 'lot'), path).to.deep.equal([]);
      // Cross-check with the API: a party may read every receipt it heard of, unless it lost sight of it by a
      // release (the lender of a released part hears of the release, then no more).
      for (const { who, path } of parties) {
        const receipts = new Set(heard(path).filter((payload) => payload.object.type === 'receipt').map((payload) => payload.object.id));
        for (const object of receipts) {
          const reply = await gw().request(who, 'GET', `/v1/receipts/${object}`);
          if (reply.status === 200) continue;
          const lostByRelease = who === 'lender.officer' && heard(path).some((payload) => payload.object.id === object && payload.type === 'receipt.released');
          expect(lostByRelease, `${who} heard of ${object} but GET gives ${reply.status.toString()}`).to.equal(true);
        }
      }
      for (const entry of receiver.received) expect(entry.verified, `${entry.path} ${entry.payload.type}`).to.equal(true);
    });
  });
}

/** The secret the receiver holds for `path` (registered by subscribe). */
function realSecret(receiver: Receiver, path: string): string {
  const secret = receiver.secretOf(path);
  if (secret === undefined) throw new Error(`no secret for ${path}`);
  return secret;
}
