import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { z } from 'zod';
import { useTestGateway, type TestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { uid } from '../http/helpers.js';
import { pledgedLot } from '../supervision/support.js';
import { connectEvents, type SseClient } from './sse.js';

const targets = await testDatabases();

const problem = z.looseObject({ code: z.string() });
const health = z.looseObject({ checks: z.looseObject({ events: z.looseObject({ streams: z.number(), dropped: z.number(), maxBufferedBytes: z.number() }) }) });

/** Opens GET /v1/events as `who` (a dev-tokens.json key). */
const open = (gw: TestGateway, who: string, query = '', headers: Record<string, string> = {}): Promise<SseClient> => {
  const token = gw.tokens[who];
  if (token === undefined) throw new Error(`no token for ${who}`);
  return connectEvents(`${gw.url}/v1/events${query}`, token, headers);
};

async function ok(gw: TestGateway, who: string, path: string, body: unknown, status = 200): Promise<unknown> {
  const reply = await gw.request(who, 'POST', path, { body });
  expect(reply.status, `${path}: ${reply.text.slice(0, 300)}`).to.equal(status);
  return reply.body;
}

/** A lot with an issued receipt of `owner`'s, not pledged. */
async function issued(gw: TestGateway, owner: string): Promise<{ lotId: string; receiptId: string }> {
  const lotId = uid('LOT-EV');
  await ok(gw, 'custodian.clerk', '/v1/lots', { id: lotId, warehouseId: uid('WH-EV'), location: 'shed 1', commodity: 'copper cathode', unit: 't', quantity: '100' }, 201);
  const receiptId = z.object({ data: z.object({ id: z.string() }) }).parse(await ok(gw, 'custodian.clerk', '/v1/receipts', { id: uid('WR-EV'), lotId, owner, quantity: '40' }, 201)).data.id;
  await ok(gw, 'custodian.supervisor', `/v1/receipts/${receiptId}/confirm`, {});
  return { lotId, receiptId };
}

for (const target of targets) {
  describe(`The event stream GET /v1/events on ${target.name}`, function () {
    this.timeout(120_000);
    const gw = useTestGateway(target, { EVENTS_HEARTBEAT_MS: '300' });

    it("tells a lender of a pledge as it happens, and of the release after which the lender no longer sees the receipt", async () => {
      const lender = await open(gw(), 'lender.officer');
      try {
        expect(lender.status).to.equal(200);
        const lot = await pledgedLot(gw());
        await lender.until(() => lender.events.some((event) => event.type === 'receipt.pledge-accepted' && event.object.id === lot.receiptId));
        await ok(gw(), 'lender.officer', `/v1/receipts/${lot.receiptId}/release`, { quantity: '800' });
        await lender.until(() => lender.events.some((event) => event.type === 'receipt.released' && event.object.id === lot.receiptId));
        // It was never told of the draft or the issue: the receipt named no lender then.
        const mine = lender.events.filter((event) => event.object.id === lot.receiptId).map((event) => event.type);
        expect(mine).to.deep.equal(['receipt.pledge-requested', 'receipt.pledge-accepted', 'receipt.released']);
        expect((await gw().request('lender.officer', 'GET', `/v1/receipts/${lot.receiptId}`)).status).to.equal(404);
        // Each message's id is the event's, and its event field the type.
        const message = lender.messages.at(-1);
        expect(message?.id).to.equal(lender.events.at(-1)?.id);
        expect(message?.event).to.equal('receipt.released');
      } finally {
        lender.close();
      }
    });

    it('resumed with Last-Event-ID, gives exactly the events missed, in the same order', async () => {
      const watcher = await open(gw(), 'custodian.auditor');
      const first = await open(gw(), 'custodian.auditor');
      try {
        const a = await issued(gw(), 'alice');
        await first.until(() => first.events.some((event) => event.type === 'receipt.issued' && event.object.id === a.receiptId));
        const lastSeen = first.events.at(-1)?.id;
        first.close();
        expect(lastSeen).to.be.a('string');
        // Missed while disconnected.
        const b = await issued(gw(), 'bob');
        await ok(gw(), 'borrower.alice', `/v1/receipts/${a.receiptId}/transfer`, { newOwner: 'bob' });
        await watcher.until(() => watcher.events.some((event) => event.type === 'receipt.transferred' && event.object.id === a.receiptId));
        const resumed = await open(gw(), 'custodian.auditor', '', { 'last-event-id': lastSeen ?? '' });
        try {
          const index = watcher.events.findIndex((event) => event.id === lastSeen);
          const missed = watcher.events.slice(index + 1).map((event) => event.id);
          expect(missed.length).to.be.at.least(4);
          await resumed.until(() => resumed.events.length >= missed.length);
          expect(resumed.events.map((event) => event.id)).to.deep.equal(missed);
          expect(resumed.events.some((event) => event.object.id === b.receiptId)).to.equal(true);
          // The `after` query parameter does the same for clients that cannot send the header.
          const viaQuery = await open(gw(), 'custodian.auditor', `?after=${encodeURIComponent(lastSeen ?? '')}`);
          await viaQuery.until(() => viaQuery.events.length >= missed.length);
          viaQuery.close();
          expect(viaQuery.events.map((event) => event.id).slice(0, missed.length)).to.deep.equal(missed);
        } finally {
          resumed.close();
        }
      } finally {
        watcher.close();
        first.close();
      }
    });

    it('filters by type, and refuses unknown types and unknown resume points with stable codes', async () => {
      const issuedOnly = await open(gw(), 'custodian.supervisor', '?types=receipt.issued');
      try {
        const made = await issued(gw(), 'alice');
        await issuedOnly.until(() => issuedOnly.events.some((event) => event.object.id === made.receiptId));
        expect(new Set(issuedOnly.events.map((event) => event.type))).to.deep.equal(new Set(['receipt.issued']));
      } finally {
        issuedOnly.close();
      }
      const badType = await gw().request('custodian.supervisor', 'GET', '/v1/events?types=receipt.issued,receipt.vanished');
      expect(badType.status).to.equal(400);
      expect(problem.parse(badType.body).code).to.equal('VALIDATION_FAILED');
      const unknown = await gw().request('custodian.supervisor', 'GET', '/v1/events', { headers: { 'last-event-id': 'ledger-no-such-event' } });
      expect(unknown.status).to.equal(404);
      expect(problem.parse(unknown.body).code).to.equal('EVENT_NOT_FOUND');
      expect((await gw().request(null, 'GET', '/v1/events')).status).to.equal(401);
    });

    it("does not resume after an event the caller may not see (to it, that event does not exist)", async () => {
      const custodian = await open(gw(), 'custodian.supervisor', '?types=lot.registered');
      try {
        const made = await issued(gw(), 'alice');
        await custodian.until(() => custodian.events.some((event) => event.object.id === made.lotId));
        const lotEvent = custodian.events.find((event) => event.object.id === made.lotId);
        const reply = await gw().request('borrower.alice', 'GET', '/v1/events', { headers: { 'last-event-id': lotEvent?.id ?? '' } });
        expect(reply.status).to.equal(404);
        expect(problem.parse(reply.body).code).to.equal('EVENT_NOT_FOUND');
      } finally {
        custodian.close();
      }
    });

    it('sends heartbeat comments while nothing happens', async () => {
      const quiet = await open(gw(), 'lender.auditor', '?types=checkpoint.anchored');
      try {
        await quiet.until(() => quiet.heartbeats >= 2, 10_000);
      } finally {
        quiet.close();
      }
    });
  });

}

// A suite of its own per database: each suite's gateway removes its database when it ends.
for (const target of await testDatabases()) {
  describe(`A stream client that stops reading, on ${target.name}`, function () {
    this.timeout(180_000);
    const gw = useTestGateway(target, { EVENTS_SLOW_CLIENT_MS: '500' });

    it('is dropped, and what waits for it stays bounded (never the whole backlog)', async () => {
      const token = gw().tokens['custodian.auditor'] ?? '';
      // A client that reads the headers, then nothing more: its socket fills, then the server's buffer.
      const request = httpRequest(`${gw().url}/v1/events`, { headers: { authorization: `Bearer ${token}` } });
      const closed = new Promise<void>((resolve) => {
        request.on('response', (response) => {
          response.pause();
          response.socket.pause();
          response.on('close', () => resolve());
          response.on('error', () => resolve());
        });
        request.on('error', () => resolve());
      });
      request.end();
      let dropped = false;
      void closed.then(() => (dropped = true));
      // Events until the server gives up on the client; each lot registration is one event of ~0.5 KB.
      let made = 0;
      while (!dropped && made < 40_000) {
        const batch = Array.from({ length: 50 }, () =>
          gw().request('custodian.clerk', 'POST', '/v1/lots', { body: { id: uid('LOT-FLOOD'), warehouseId: 'WH-FLOOD', location: 'x'.repeat(200), commodity: 'copper cathode', unit: 't', quantity: '1' } }),
        );
        for (const reply of await Promise.all(batch)) expect(reply.status).to.equal(201);
        made += batch.length;
        const stats = health.parse((await gw().request(null, 'GET', '/healthz')).body).checks.events;
        if (stats.dropped > 0) dropped = true;
      }
      // The server drops the client by closing its connection; with its socket paused, this client may never read
      // that close, so it lets go of its end here too (after the drop: `dropped` is the server's count).
      request.destroy();
      await closed;
      const stats = health.parse((await gw().request(null, 'GET', '/healthz')).body).checks.events;
      expect(stats.dropped).to.be.at.least(1);
      expect(stats.streams).to.equal(0);
      // The server's own buffer never held more than a socket's worth and one message, whatever the backlog.
      expect(stats.maxBufferedBytes).to.be.below(256 * 1024);
      expect(made).to.be.above(0);
    });
  });
}
