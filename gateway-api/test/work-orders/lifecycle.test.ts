import { expect } from 'chai';
import { z } from 'zod';
import { demoIdentities } from '../../src/identity/dev-identities.js';
import { expectProblem, uid, useGateway } from '../http/helpers.js';
import type { Reply } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';

const targets = await testDatabases();

const workOrder = z.looseObject({
  id: z.string(),
  state: z.string(),
  priority: z.string(),
  assignee: z.string().nullable(),
  lotId: z.string().nullable(),
  history: z.array(z.looseObject({ action: z.string(), actor: z.string(), from: z.string().nullable(), to: z.string(), evidenceIds: z.array(z.string()).optional() })),
  sla: z.looseObject({ acknowledge: z.looseObject({ status: z.string() }), resolve: z.looseObject({ status: z.string() }) }),
});
type WorkOrderReply = z.infer<typeof workOrder>;
const one = z.object({ data: workOrder });
const page = z.object({ data: z.array(workOrder), next: z.string().nullable() });

for (const target of targets) {
  describe(`Work orders over HTTP on ${target.name}`, function () {
    this.timeout(120_000);
    const suite = useGateway(target);
    const request = (who: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
      suite().api.request(who, method, path, { ...(body === undefined ? {} : { body }), headers });
    const ok = (reply: Reply, status = 200): WorkOrderReply => {
      expect(reply.status, reply.text.slice(0, 500)).to.equal(status);
      return one.parse(reply.body).data;
    };
    const create = async (extra: Record<string, unknown> = {}): Promise<WorkOrderReply> =>
      ok(await request('custodian.clerk', 'POST', '/v1/work-orders', { title: 'Re-stack bay 12', priority: 'P3', warehouseId: 'WH-QD-01', ...extra }), 201);
    const act = (who: string, id: string, step: string, body: unknown = {}) => request(who, 'POST', `/v1/work-orders/${id}/${step}`, body);

    it('walks OPEN → ASSIGNED → IN_PROGRESS ⇄ WAITING → RESOLVED → CLOSED → reopened ASSIGNED, one history entry with its actor per step', async () => {
      const order = await create();
      expect(order).to.include({ state: 'OPEN', priority: 'P3', assignee: null });
      ok(await act('custodian.supervisor', order.id, 'assignment', { assignee: 'custodian.clerk' }));
      ok(await act('custodian.clerk', order.id, 'start'));
      ok(await act('custodian.clerk', order.id, 'waiting', { note: 'forklift in repair' }));
      const waiting = ok(await request('custodian.auditor', 'GET', `/v1/work-orders/${order.id}`));
      expect(waiting.sla.resolve.status, 'the resolve clock is paused while waiting').to.equal('paused');
      ok(await act('custodian.clerk', order.id, 'start', { note: 'forklift back' }));
      ok(await act('custodian.clerk', order.id, 'resolution', { note: 'pallets re-stacked' }));
      ok(await act('custodian.supervisor', order.id, 'closure'));
      const reopened = ok(await act('custodian.clerk', order.id, 'reopening', { note: 'leaning again' }));
      expect(reopened).to.include({ state: 'ASSIGNED', assignee: 'custodian.clerk' });
      expect(reopened.history.map((entry) => [entry.action, entry.actor, entry.from, entry.to])).to.deep.equal([
        ['create', 'custodian.clerk', null, 'OPEN'],
        ['assign', 'custodian.supervisor', 'OPEN', 'ASSIGNED'],
        ['start', 'custodian.clerk', 'ASSIGNED', 'IN_PROGRESS'],
        ['wait', 'custodian.clerk', 'IN_PROGRESS', 'WAITING'],
        ['start', 'custodian.clerk', 'WAITING', 'IN_PROGRESS'],
        ['resolve', 'custodian.clerk', 'IN_PROGRESS', 'RESOLVED'],
        ['close', 'custodian.supervisor', 'RESOLVED', 'CLOSED'],
        ['reopen', 'custodian.clerk', 'CLOSED', 'ASSIGNED'],
      ]);
    });

    it('refuses illegal transitions with 409 WORK_ORDER_INVALID_TRANSITION, changing nothing', async () => {
      const order = await create();
      for (const [step, body] of [['start', {}], ['waiting', { note: 'x' }], ['resolution', { note: 'x' }], ['closure', {}], ['reopening', { note: 'x' }]] as const) {
        const problem = expectProblem(await act('custodian.supervisor', order.id, step, body), 409, 'WORK_ORDER_INVALID_TRANSITION');
        expect(problem).to.include({ state: 'OPEN' });
      }
      ok(await act('custodian.supervisor', order.id, 'assignment', { assignee: 'custodian.clerk' }));
      ok(await act('custodian.clerk', order.id, 'start'));
      ok(await act('custodian.clerk', order.id, 'waiting', { note: 'parts' }));
      expectProblem(await act('custodian.clerk', order.id, 'resolution', { note: 'x' }), 409, 'WORK_ORDER_INVALID_TRANSITION');
      const after = ok(await request('custodian.auditor', 'GET', `/v1/work-orders/${order.id}`));
      expect(after.state).to.equal('WAITING');
      expect(after.history).to.have.length(4);
    });

    it('four eyes: whoever resolved a critical work order cannot close it; someone else can', async () => {
      const critical = await create({ priority: 'P1', severity: 'critical' });
      ok(await act('custodian.supervisor', critical.id, 'assignment', { assignee: 'custodian.supervisor' }));
      ok(await act('custodian.supervisor', critical.id, 'start'));
      ok(await act('custodian.supervisor', critical.id, 'resolution', { note: 'door closed and sealed' }));
      expectProblem(await act('custodian.supervisor', critical.id, 'closure'), 403, 'FOUR_EYES');

      const other = await create({ priority: 'P1', severity: 'critical' });
      ok(await act('custodian.supervisor', other.id, 'assignment', { assignee: 'custodian.clerk' }));
      ok(await act('custodian.clerk', other.id, 'start'));
      ok(await act('custodian.clerk', other.id, 'resolution', { note: 'door closed and sealed' }));
      expect(ok(await act('custodian.supervisor', other.id, 'closure')).state).to.equal('CLOSED');
      // Not critical: the supervisor may close what it resolved.
      const minor = await create();
      ok(await act('custodian.supervisor', minor.id, 'assignment', { assignee: 'custodian.supervisor' }));
      ok(await act('custodian.supervisor', minor.id, 'start'));
      ok(await act('custodian.supervisor', minor.id, 'resolution', { note: 'done' }));
      expect(ok(await act('custodian.supervisor', minor.id, 'closure')).state).to.equal('CLOSED');
    });

    it('takes notes and stored evidence (a photo registered with POST /v1/documents); unknown evidence is 422', async () => {
      const photo = await request('custodian.clerk', 'POST', '/v1/documents', { sha256: 'ab'.repeat(32), mediaType: 'image/jpeg', name: 'bay 12.jpg', size: 1024 });
      expect(photo.status, photo.text).to.equal(201);
      const photoId = z.object({ data: z.object({ id: z.string() }) }).parse(photo.body).data.id;
      const order = await create({ evidenceIds: [photoId], note: 'see photo' });
      expect(order.history[0]?.evidenceIds).to.deep.equal([photoId]);
      ok(await act('custodian.supervisor', order.id, 'assignment', { assignee: 'custodian.clerk' }));
      const problem = expectProblem(await act('custodian.clerk', order.id, 'start', { evidenceIds: [photoId, 'ev_NO_SUCH_EVIDENCE'] }), 422, 'WORK_ORDER_EVIDENCE_NOT_FOUND');
      expect(problem).to.deep.include({ missing: ['ev_NO_SUCH_EVIDENCE'] });
      expectProblem(await request('custodian.clerk', 'POST', '/v1/work-orders', { title: 't', priority: 'P3', warehouseId: 'WH-QD-01', evidenceIds: ['ev_NOPE'] }), 422, 'WORK_ORDER_EVIDENCE_NOT_FOUND');
      const started = ok(await act('custodian.clerk', order.id, 'start', { evidenceIds: [photoId] }));
      expect(started.history.at(-1)?.evidenceIds).to.deep.equal([photoId]);
    });

    it('refuses bad input with 400 and where it is, ineligible assignees with 422, and other roles with 403', async () => {
      const bad = [
        [{ title: 't', priority: 'P9', warehouseId: 'WH-QD-01' }, 'priority'],
        [{ title: '', priority: 'P3', warehouseId: 'WH-QD-01' }, 'title'],
        [{ title: 't', priority: 'P3', warehouseId: 'WH-QD-01', extra: 1 }, ''],
        [{ title: 't', priority: 'P3' }, 'warehouseId'],
      ] as const;
      for (const [body, path] of bad) {
        const problem = expectProblem(await request('custodian.clerk', 'POST', '/v1/work-orders', body), 400, 'VALIDATION_FAILED');
        expect(z.object({ errors: z.array(z.object({ path: z.string() })) }).parse(problem).errors.map((error) => error.path)).to.include(path);
      }
      const order = await create();
      expectProblem(await act('custodian.supervisor', order.id, 'assignment', { assignee: 'lender.officer' }), 422, 'WORK_ORDER_ASSIGNEE_NOT_ELIGIBLE');
      expectProblem(await act('custodian.supervisor', order.id, 'assignment', { assignee: 'custodian.auditor' }), 422, 'WORK_ORDER_ASSIGNEE_NOT_ELIGIBLE');
      expectProblem(await act('custodian.supervisor', order.id, 'waiting', {}), 400, 'VALIDATION_FAILED');
      expectProblem(await act('custodian.clerk', order.id, 'assignment', { assignee: 'custodian.clerk' }), 403, 'FORBIDDEN');
      for (const who of ['custodian.auditor', 'custodian.device-gateway', 'lender.officer', 'borrower.alice']) {
        expectProblem(await request(who, 'POST', '/v1/work-orders', { title: 't', priority: 'P3', warehouseId: 'WH-QD-01' }), 403, 'FORBIDDEN');
      }
      expectProblem(await request('custodian.auditor', 'GET', '/v1/work-orders/WO-NO-SUCH'), 404, 'WORK_ORDER_NOT_FOUND');
      expectProblem(await act('custodian.supervisor', 'WO-NO-SUCH', 'start'), 404, 'WORK_ORDER_NOT_FOUND');
    });

    it('raises one work order per Idempotency-Key', async () => {
      const key = uid('wo');
      const body = { title: 'Count shed 2', priority: 'P4', warehouseId: 'WH-QD-01' };
      const first = await request('custodian.clerk', 'POST', '/v1/work-orders', body, { 'idempotency-key': key });
      const again = await request('custodian.clerk', 'POST', '/v1/work-orders', body, { 'idempotency-key': key });
      expect([first.status, again.status]).to.deep.equal([201, 201]);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(one.parse(again.body).data.id).to.equal(one.parse(first.body).data.id);
    });

    it('shows each identity only the work orders on lots it may see: custodian all, lender pledged lots, borrower its own lots', async () => {
      const { fixtures, api } = suite();
      const pledged = await fixtures.pledged('alice');
      const bobs = await fixtures.issued('bob');
      const lotOf = async (id: string): Promise<string> => (await api.receipt(id)).lotId;
      const [pledgedLot, bobsLot] = [await lotOf(pledged), await lotOf(bobs)];
      await api.gateway.gateway.projectionCaughtUp();
      const onPledged = await create({ lotId: pledgedLot, receiptIds: [pledged] });
      const onBobs = await create({ lotId: bobsLot });
      const noLot = await create();
      const expected: Record<string, readonly string[]> = {
        custodian: [onPledged.id, onBobs.id, noLot.id],
        lender: [onPledged.id],
        'borrower.alice': [onPledged.id],
        'borrower.bob': [onBobs.id],
        'borrower.auditor': [onPledged.id, onBobs.id],
        // The oracle records prices and sees nothing of the custodian's books.
        'custodian.oracle': [],
      };
      const mine = [onPledged.id, onBobs.id, noLot.id];
      for (const identity of demoIdentities) {
        const sees = expected[identity.id] ?? expected[identity.org] ?? [];
        const listed = page.parse((await request(identity.id, 'GET', '/v1/work-orders?limit=500')).body).data.map((order) => order.id);
        expect(listed.filter((id) => mine.includes(id)), `${identity.id} lists`).to.deep.equal(sees);
        for (const id of mine) {
          const reply = await request(identity.id, 'GET', `/v1/work-orders/${id}`);
          if (sees.includes(id)) expect(reply.status, `${identity.id} reads ${id}`).to.equal(200);
          else expectProblem(reply, 404, 'WORK_ORDER_NOT_FOUND');
        }
      }
      const filtered = page.parse((await request('custodian.auditor', 'GET', `/v1/work-orders?lotId=${bobsLot}`)).body).data;
      expect(filtered.map((order) => order.id)).to.deep.equal([onBobs.id]);
    });

    it('pages the list in id order', async () => {
      for (let index = 0; index < 3; index++) await create();
      const first = page.parse((await request('custodian.auditor', 'GET', '/v1/work-orders?limit=2')).body);
      expect(first.data).to.have.length(2);
      expect(first.next).to.equal(first.data[1]?.id);
      const second = page.parse((await request('custodian.auditor', 'GET', `/v1/work-orders?limit=2&after=${first.next ?? ''}`)).body);
      expect((second.data[0]?.id ?? '') > (first.next ?? '')).to.equal(true);
    });
  });
}
