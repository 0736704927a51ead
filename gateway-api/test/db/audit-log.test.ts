import { expect } from 'chai';
import { z } from 'zod';
import { auditLog, type AuditEntry, type AuditLog } from '../../src/db/audit-log.js';
import { sqlState } from '../../src/db/errors.js';
import { testDatabases, useDatabase } from '../support/postgres.js';

function entry(fields: Partial<AuditEntry> = {}): AuditEntry {
  return {
    requestId: 'req-1',
    identityId: 'lender.officer',
    method: 'POST',
    path: '/v1/receipts/R1/pledge-acceptance',
    txName: 'AcceptPledge',
    txId: 'a'.repeat(64),
    // Past 2^53: block numbers are int8 and must survive the round trip exactly.
    blockNumber: 9_007_199_254_740_993n,
    status: 200,
    idempotencyKey: 'key-1',
    ...fields,
  };
}

/** The SQLSTATE a statement fails with; fails the test if it succeeds. */
async function refusedWith(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return sqlState(error);
  }
  expect.fail('expected the database to refuse the statement');
}

for (const target of await testDatabases()) {
  describe(`audit log (${target.name})`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);
    let log: AuditLog;
    before(() => {
      log = auditLog(db());
    });

    it('returns appended entries newest first, with id and time, and filters by identity', async () => {
      await log.append(entry({ requestId: 'req-a' }));
      await log.append(entry({ requestId: 'req-b', identityId: null, txName: null, txId: null, blockNumber: null, idempotencyKey: null, status: 401 }));
      await log.append(entry({ requestId: 'req-c', identityId: 'custodian.clerk' }));
      const all = await log.list({});
      expect(all.map((each) => each.requestId).slice(0, 3)).to.deep.equal(['req-c', 'req-b', 'req-a']);
      const [newest, , oldest] = all;
      expect(oldest).to.deep.include(entry({ requestId: 'req-a' }));
      expect(oldest?.blockNumber).to.equal(9_007_199_254_740_993n);
      expect(all[1]).to.deep.include({ identityId: null, blockNumber: null, status: 401 });
      expect(typeof newest?.id).to.equal('bigint');
      expect(newest?.at).to.be.instanceOf(Date);
      expect((await log.list({ identityId: 'custodian.clerk' })).map((each) => each.requestId)).to.deep.equal(['req-c']);
      expect(await log.list({ limit: 1 })).to.have.length(1);
    });

    it('appends several entries in one statement, in the order given, each field as appendAll was handed it', async () => {
      const entries = [
        entry({ requestId: 'req-all-1', method: 'MQTT', path: 'wr/WH-1/D-1/evidence', txId: null, blockNumber: null, status: 0, idempotencyKey: null }),
        entry({ requestId: 'req-all-2', identityId: null }),
        entry({ requestId: 'req-all-3', txName: null }),
      ];
      await log.appendAll(entries);
      await log.appendAll([]);
      const newest = (await log.list({ limit: 3 })).reverse();
      expect(newest.map((each) => each.requestId)).to.deep.equal(['req-all-1', 'req-all-2', 'req-all-3']);
      newest.forEach((each, index) => expect(each).to.deep.include(entries[index]));
      expect((newest[0]?.id ?? 0n) < (newest[1]?.id ?? 0n)).to.equal(true);
    });

    it('an entry appended inside a transaction that rolls back is not kept', async () => {
      const rolledBack = db().transaction(async (tx) => {
        await log.append(entry({ requestId: 'req-rolled-back' }), tx);
        throw new Error('the change this entry describes failed');
      });
      await rolledBack.then(
        () => expect.fail('the transaction should fail'),
        (error: unknown) => expect(error).to.have.property('message', 'the change this entry describes failed'),
      );
      expect((await log.list({ limit: 1000 })).map((each) => each.requestId)).to.not.include('req-rolled-back');
    });

    it('the database refuses UPDATE, DELETE and TRUNCATE of the audit log, and the entries stay as they were', async () => {
      await log.append(entry({ requestId: 'req-tamper' }));
      const snapshot = async (): Promise<unknown[]> =>
        z.array(z.unknown()).parse(await db().query('SELECT * FROM audit_log ORDER BY id'));
      const before = await snapshot();
      expect(await refusedWith(db().query("UPDATE audit_log SET status = 500 WHERE request_id = 'req-tamper'"))).to.equal('23001');
      expect(await refusedWith(db().query('DELETE FROM audit_log'))).to.equal('23001');
      expect(await refusedWith(db().query('TRUNCATE audit_log'))).to.equal('23001');
      expect(await snapshot()).to.deep.equal(before);
    });
  });
}
