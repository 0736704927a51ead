import { expect } from 'chai';
import { ruleOperations } from '../../src/modules/rules/index.js';
import { alarmOperations } from '../../src/modules/alarms/index.js';
import { workOrderOperations } from '../../src/modules/work-orders/index.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { parseProblem } from '../http/helpers.js';

const targets = await testDatabases();

/** Bodies no operation takes: wrong JSON types at the top, wrong types in every member the operations know, too big. */
const malformed: readonly unknown[] = [
  null,
  [],
  'rule',
  42,
  { id: null },
  { id: 'x'.repeat(10_000) },
  { scope: 'WH-1', kind: 'threshold' },
  { id: 'r', scope: { warehouseId: 'W' }, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: '1e3' }, clear: { op: 'lte', value: 0 } },
  { id: 'r', scope: { warehouseId: 'W', lotId: 'L' }, kind: 'offline', metric: 'temperature', severity: 'major', forMs: -1 },
  { forMs: '3600000' },
  { forMs: 1e12 },
  { note: 7 },
  { note: '\u0000' },
  { assignee: ['custodian.clerk'] },
  { title: '', priority: 'P0', warehouseId: '' },
  { cron: '* * *', timeZone: 'Nowhere/Never', id: 's', title: 't', scope: { warehouseId: 'W' } },
];

for (const target of targets) {
  describe(`Bad input to every supervision route on ${target.name}: 4xx with a stable code, never 5xx, nothing stored`, function () {
    this.timeout(120_000);
    const gw = useTestGateway(target);
    const counts = async (): Promise<string> => {
      const lists = [];
      for (const path of ['/v1/rules?limit=1000', '/v1/alarms?limit=1000', '/v1/work-orders?limit=500', '/v1/work-order-schedules']) {
        const reply = await gw().request('custodian.auditor', 'GET', path);
        expect(reply.status, `${path}: ${reply.text.slice(0, 200)}`).to.equal(200);
        lists.push(reply.text);
      }
      return lists.join('\n');
    };

    it('each POST route answers every malformed body with 400 (or 403/404 for whom it is not), as problem+json', async () => {
      const before = await counts();
      const writes = [...ruleOperations, ...alarmOperations, ...workOrderOperations].filter((op) => op.method === 'post');
      for (const op of writes) {
        const path = op.path.replace('{id}', 'NO-SUCH-ID');
        for (const who of ['custodian.supervisor', 'lender.officer']) {
          for (const body of malformed) {
            const reply = await gw().request(who, 'POST', path, { body });
            expect(reply.status, `${op.operationId} as ${who} with ${JSON.stringify(body).slice(0, 80)}: ${reply.text.slice(0, 300)}`).to.be.oneOf([400, 403, 404, 409, 422]);
            parseProblem(reply);
          }
          const raw = await gw().request(who, 'POST', path, { rawBody: '{"id":', headers: { 'content-type': 'application/json' } });
          expect(raw.status, `${op.operationId}: unreadable JSON`).to.equal(400);
        }
      }
      for (const path of ['/v1/alarms?status=BURNING', '/v1/alarms?limit=0', '/v1/alarms?severity=apocalyptic', '/v1/rules?limit=100000', '/v1/work-orders?state=DONE']) {
        const reply = await gw().request('custodian.auditor', 'GET', path);
        expect(reply.status, path).to.equal(400);
        expect(parseProblem(reply).code).to.equal('VALIDATION_FAILED');
      }
      expect(await counts(), 'nothing was stored').to.equal(before);
    });
  });
}
