import { historyEntry, type HistoryEntry } from '@wr/chaincode/responses';
import { canSeeReceipt } from '@wr/chaincode/visibility';
import type { Caller } from '@wr/chaincode/roles';
import { expect } from 'chai';
import { z } from 'zod';
import { demoIdentities, mspOf } from '../../src/identity/dev-identities.js';
import { eventExamples, type EventType } from '../../src/modules/events/catalogue.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { uid } from '../http/helpers.js';
import { minute, placedDevice, pledgedLot, series, submit } from '../supervision/support.js';
import { connectEvents, type ReceivedEvent, type SseClient } from './sse.js';

const targets = await testDatabases();

/** The chaincode's own caller for a demo identity: what canSeeReceipt judges. */
const callerOf = (identity: (typeof demoIdentities)[number]): Caller => ({ mspId: mspOf[identity.org], id: identity.user, org: identity.org, role: identity.role as Caller['role'] });

for (const target of targets) {
  describe(`Who hears what, on ${target.name}: every demo identity's event stream against the chaincode's visibility`, function () {
    this.timeout(240_000);
    const gw = useTestGateway(target);

    it('tells each identity exactly the receipt events it could see before or after them, work orders on lots it sees, lots only to the custodian, checkpoints to all', async () => {
      const streams = new Map<string, SseClient>();
      for (const identity of demoIdentities) streams.set(identity.id, await connectEvents(`${gw().url}/v1/events`, gw().tokens[identity.id] ?? ''));
      try {
        const ok = async (who: string, path: string, body: unknown, status = 200): Promise<unknown> => {
          const reply = await gw().request(who, 'POST', path, { body });
          expect(reply.status, `${who} ${path}: ${reply.text.slice(0, 300)}`).to.equal(status);
          return reply.body;
        };
        // A pledged receipt of alice's, with a device whose readings get anchored and a work order on its lot.
        const pledged = await pledgedLot(gw());
        const device = await placedDevice(gw(), pledged);
        await submit(gw(), series(device, Date.now() - 10 * minute, [3, 3.5, 4]));
        const order = z.object({ data: z.object({ id: z.string() }) }).parse(
          await ok('custodian.supervisor', '/v1/work-orders', { title: 'count the lot', priority: 'P3', warehouseId: pledged.warehouseId, lotId: pledged.lotId }, 201),
        ).data.id;
        // Who may see the work order while the lot is pledged: that is who must hear of it.
        const seesOrder = new Set<string>();
        for (const identity of demoIdentities) if ((await gw().request(identity.id, 'GET', `/v1/work-orders/${order}`)).status === 200) seesOrder.add(identity.id);
        // Then the lender releases it (and so loses sight of it), and a receipt of bob's goes to alice.
        await ok('lender.officer', `/v1/receipts/${pledged.receiptId}/release`, { quantity: '800' });
        const lotId = uid('LOT-VIS');
        await ok('custodian.clerk', '/v1/lots', { id: lotId, warehouseId: pledged.warehouseId, location: 'room 2', commodity: 'frozen shrimp', unit: 'kg', quantity: '100' }, 201);
        const bobs = z.object({ data: z.object({ id: z.string() }) }).parse(await ok('custodian.clerk', '/v1/receipts', { id: uid('WR-VIS'), lotId, owner: 'bob', quantity: '60' }, 201)).data.id;
        await ok('custodian.supervisor', `/v1/receipts/${bobs}/confirm`, {});
        await ok('borrower.bob', `/v1/receipts/${bobs}/transfer`, { newOwner: 'alice' });
        await gw().gateway.anchoringSettled();
        await gw().gateway.projectionCaughtUp();

        // The custodian's auditor hears of every receipt event of its warehouses: the reference list.
        const reference = streams.get('custodian.auditor');
        const receiptIds = [pledged.receiptId, bobs];
        await reference?.until(() => reference.events.some((event) => event.type === 'receipt.transferred' && event.object.id === bobs));
        await reference?.until(() => reference.events.some((event) => event.type === 'checkpoint.anchored'));
        const all = (reference?.events ?? []).filter((event) => receiptIds.includes(event.object.id) || event.object.id === order || event.object.id === pledged.lotId || event.object.id === lotId);
        // Each receipt's versions, oldest first, from the ledger's history (not from the outbox).
        const histories = new Map<string, HistoryEntry[]>();
        for (const id of receiptIds) {
          const reply = await gw().request('custodian.auditor', 'GET', `/v1/receipts/${id}/history`);
          histories.set(id, z.object({ data: z.array(historyEntry) }).parse(reply.body).data.reverse());
        }
        const sawAround = (identity: (typeof demoIdentities)[number], event: ReceivedEvent): boolean => {
          const versions = histories.get(event.object.id) ?? [];
          const txId = z.object({ ledger: z.object({ txId: z.string() }) }).parse(event.data).ledger.txId;
          const at = versions.findIndex((version) => version.txId === txId);
          expect(at, `${event.type} ${event.object.id} is in the receipt's history`).to.be.at.least(0);
          const states = [versions[at - 1]?.value, versions[at]?.value].filter((state) => state !== undefined);
          return states.some((state) => canSeeReceipt(callerOf(identity), { ...state, docType: 'receipt' } as Parameters<typeof canSeeReceipt>[1]));
        };

        for (const identity of demoIdentities) {
          const stream = streams.get(identity.id);
          const expected = all.filter((event) => {
            switch (event.object.type) {
              case 'receipt':
                return sawAround(identity, event);
              case 'work-order':
                return seesOrder.has(identity.id);
              case 'lot':
                return identity.org === 'custodian' && identity.role !== 'oracle';
              default:
                return true;
            }
          });
          const checkpoint = reference?.events.find((event) => event.type === 'checkpoint.anchored');
          await stream?.until(() => expected.every((event) => stream.events.some((got) => got.id === event.id)) && stream.events.some((got) => got.id === checkpoint?.id), 20_000);
          // Nothing more than that: give stragglers a moment, then compare exactly.
          await new Promise((resolve) => setTimeout(resolve, 300));
          const got = (stream?.events ?? []).filter((event) => all.some((each) => each.id === event.id)).map((event) => `${event.type} ${event.object.id}`);
          expect(got, identity.id).to.deep.equal(expected.map((event) => `${event.type} ${event.object.id}`));
        }
        // The documented examples (GET /v1/event-types, the OpenAPI webhooks) have the shape real events have.
        for (const event of reference?.events ?? []) {
          const example = eventExamples[event.type as EventType];
          expect(Object.keys(event.data).sort(), `${event.type} data`).to.deep.equal(Object.keys(example).sort());
          const change = z.object({ change: z.record(z.string(), z.unknown()) }).safeParse(event.data);
          const exampleChange = z.object({ change: z.record(z.string(), z.unknown()) }).safeParse(example);
          if (change.success && exampleChange.success) expect(Object.keys(change.data.change).sort(), `${event.type} change`).to.deep.equal(Object.keys(exampleChange.data.change).sort());
        }
        // The cases the sweep must contain, so that it cannot pass vacuously.
        const heard = (who: string, type: string, id: string): boolean => (streams.get(who)?.events ?? []).some((event) => event.type === type && event.object.id === id);
        expect(heard('lender.officer', 'receipt.released', pledged.receiptId), 'the lender hears of its release').to.equal(true);
        expect(heard('lender.officer', 'receipt.drafted', bobs), "the lender hears nothing of bob's receipt").to.equal(false);
        expect(heard('borrower.bob', 'receipt.transferred', bobs), 'bob hears of the transfer that took his receipt').to.equal(true);
        expect(heard('borrower.bob', 'receipt.pledge-accepted', pledged.receiptId), "bob hears nothing of alice's pledge").to.equal(false);
        expect(heard('lender.auditor', 'work-order.created', order), 'the lender hears of the work order on its collateral').to.equal(true);
        expect(heard('borrower.bob', 'work-order.created', order)).to.equal(false);
        expect(heard('borrower.alice', 'lot.registered', lotId), 'lots are the custodian’s books').to.equal(false);
      } finally {
        for (const stream of streams.values()) stream.close();
      }
    });
  });
}
