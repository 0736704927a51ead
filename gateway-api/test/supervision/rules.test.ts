import { expect } from 'chai';
import { z } from 'zod';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, uid } from '../http/helpers.js';
import { pledgedLot, ruleListReply, ruleReply } from './support.js';

const targets = await testDatabases();

const problemPaths = z.object({ errors: z.array(z.looseObject({ path: z.string() })).optional() }).loose();

for (const target of targets) {
  describe(`Supervision rules on ${target.name}: versions, owners and refusals`, function () {
    this.timeout(60_000);
    const gw = useTestGateway(target);
    const threshold = (id: string, scope: Record<string, string>, raise = 4) => ({
      id,
      scope,
      kind: 'threshold',
      metric: 'temperature',
      severity: 'major',
      raise: { op: 'gt', value: raise, forMs: 600_000 },
      clear: { op: 'lte', value: raise - 0.5 },
    });
    const post = (who: string, path: string, body: unknown) => gw().request(who, 'POST', path, { body });
    const allRules = async (who = 'custodian.auditor') => ruleListReply.parse((await gw().request(who, 'GET', '/v1/rules?limit=1000')).body).data;

    it('a supervisor sets a rule; an edit is a new version with a new hash; the history keeps every version; retiring is a version too', async () => {
      const id = uid('rule-high');
      const created = await post('custodian.supervisor', '/v1/rules', threshold(id, { warehouseId: 'WH-QD-01' }));
      expect(created.status, created.text).to.equal(201);
      const first = ruleReply.parse(created.body).data;
      expect(first).to.deep.include({ ruleId: id, version: 1, versions: 1, retired: false });
      expect(first.hash).to.match(/^[0-9a-f]{64}$/);

      const edited = await post('custodian.supervisor', `/v1/rules/${id}/versions`, threshold(id, { warehouseId: 'WH-QD-01' }, 5));
      expect(edited.status, edited.text).to.equal(201);
      const second = ruleReply.parse(edited.body).data;
      expect(second).to.deep.include({ version: 2, versions: 2 });
      expect(second.hash).not.to.equal(first.hash);
      expectProblem(await post('custodian.supervisor', `/v1/rules/${id}/versions`, threshold(id, { warehouseId: 'WH-QD-01' }, 5)), 409, 'RULE_UNCHANGED');
      expectProblem(await post('custodian.supervisor', '/v1/rules', threshold(id, { warehouseId: 'WH-QD-01' })), 409, 'RULE_EXISTS');
      expectProblem(await post('custodian.supervisor', `/v1/rules/${id}/versions`, threshold(uid('other'), { warehouseId: 'WH-QD-01' })), 400, 'RULE_ID_MISMATCH');

      const got = z.object({ data: z.looseObject({ version: z.number(), history: z.array(z.looseObject({ version: z.number(), hash: z.string() })) }) }).parse((await gw().request('custodian.auditor', 'GET', `/v1/rules/${id}`)).body).data;
      expect(got.history.map((version) => [version.version, version.hash])).to.deep.equal([[1, first.hash], [2, second.hash]]);

      const retired = await post('custodian.supervisor', `/v1/rules/${id}/retirement`, {});
      expect(retired.status, retired.text).to.equal(201);
      expect(ruleReply.parse(retired.body).data).to.deep.include({ version: 3, retired: true });
      expectProblem(await post('custodian.supervisor', `/v1/rules/${id}/versions`, threshold(id, { warehouseId: 'WH-QD-01' }, 6)), 409, 'RULE_RETIRED');
    });

    it('a lender adds rules only on lots under its live pledges; nobody changes or retires a rule another party set', async () => {
      const lot = await pledgedLot(gw());
      const lenderRule = uid('lender-strict');
      expectProblem(await post('lender.officer', '/v1/rules', threshold(uid('lender-wh'), { warehouseId: lot.warehouseId })), 403, 'RULE_SCOPE_FORBIDDEN');
      expectProblem(await post('lender.officer', '/v1/rules', threshold(uid('lender-other'), { lotId: 'LOT-NOT-PLEDGED' })), 403, 'RULE_SCOPE_FORBIDDEN');
      const added = await post('lender.officer', '/v1/rules', threshold(lenderRule, { lotId: lot.lotId }, 3));
      expect(added.status, added.text).to.equal(201);

      const custodianRule = uid('custodian-wh');
      expect((await post('custodian.supervisor', '/v1/rules', threshold(custodianRule, { warehouseId: lot.warehouseId }))).status).to.equal(201);
      expectProblem(await post('lender.approver', `/v1/rules/${custodianRule}/versions`, threshold(custodianRule, { lotId: lot.lotId }, 20)), 403, 'RULE_NOT_OWNED');
      expectProblem(await post('lender.approver', `/v1/rules/${custodianRule}/retirement`, {}), 403, 'RULE_NOT_OWNED');
      expectProblem(await post('custodian.supervisor', `/v1/rules/${lenderRule}/versions`, threshold(lenderRule, { lotId: lot.lotId }, 20)), 403, 'RULE_NOT_OWNED');
      expectProblem(await post('custodian.supervisor', `/v1/rules/${lenderRule}/retirement`, {}), 403, 'RULE_NOT_OWNED');

      // The lender sees its own rule and the custodian's on its lot's warehouse; a stranger sees neither.
      const lenderSees = (await allRules('lender.auditor')).map((rule) => rule.ruleId);
      expect(lenderSees).to.include.members([lenderRule, custodianRule]);
      expect((await allRules('borrower.bob')).map((rule) => rule.ruleId)).not.to.include.members([lenderRule]);
      expectProblem(await gw().request('borrower.bob', 'GET', `/v1/rules/${custodianRule}`), 404, 'RULE_NOT_FOUND');
      for (const who of ['custodian.clerk', 'custodian.auditor', 'lender.auditor', 'borrower.alice']) {
        expectProblem(await post(who, '/v1/rules', threshold(uid('nope'), { lotId: lot.lotId })), 403, 'FORBIDDEN');
      }
    });

    it('refuses malformed rules with a 400 naming the failing path, and stores nothing', async () => {
      const before = await allRules();
      const scope = { warehouseId: 'WH-QD-01' };
      const square = [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]];
      const cases: [string, unknown, string][] = [
        ['never clears', { ...threshold(uid('bad'), scope), clear: { op: 'gt', value: 10 } }, 'clear'],
        ['clear overlaps raise', { ...threshold(uid('bad'), scope), clear: { op: 'lte', value: 6 } }, 'clear'],
        ['unknown metric', { ...threshold(uid('bad'), scope), metric: 'vibes' }, 'metric'],
        ['unknown kind', { ...threshold(uid('bad'), scope), kind: 'astrology' }, 'kind'],
        ['no scope', { ...threshold(uid('bad'), scope), scope: {} }, 'scope'],
        ['a string threshold', { ...threshold(uid('bad'), scope), raise: { op: 'gt', value: '4' } }, 'raise.value'],
        ['bad op', { ...threshold(uid('bad'), scope), raise: { op: 'approx', value: 4 } }, 'raise.op'],
        ['oversized polygon', { id: uid('bad'), scope, kind: 'geofence', metric: 'gps', severity: 'major', polygon: [...Array.from({ length: 1200 }, (_, i) => [i / 1000, 0]), [0, 0]] }, 'polygon'],
        ['open polygon', { id: uid('bad'), scope, kind: 'geofence', metric: 'gps', severity: 'major', polygon: square.slice(0, 4) }, 'polygon'],
        ['bad time zone', { id: uid('bad'), scope, kind: 'door-schedule', metric: 'door', severity: 'warning', timeZone: 'Mars/Olympus', hours: [{ days: [1], from: '07:00', to: '19:00' }] }, 'timeZone'],
        ['bad hours', { id: uid('bad'), scope, kind: 'door-schedule', metric: 'door', severity: 'warning', timeZone: 'Asia/Shanghai', hours: [{ days: [1], from: '19:00', to: '07:00' }] }, 'hours.0.to'],
        ['extra field', { ...threshold(uid('bad'), scope), surprise: true }, ''],
      ];
      for (const [name, body, path] of cases) {
        const problem = expectProblem(await post('custodian.supervisor', '/v1/rules', body), 400, 'VALIDATION_FAILED');
        const paths = (problemPaths.parse(problem).errors ?? []).map((error) => error.path);
        if (path !== '') expect(paths.some((each) => each.startsWith(path) || each.includes(path)), `${name}: ${JSON.stringify(problem).slice(0, 400)}`).to.equal(true);
      }
      expect(await allRules()).to.deep.equal(before);
    });
  });
}
