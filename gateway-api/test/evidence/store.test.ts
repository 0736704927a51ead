import { expect } from 'chai';
import { auditLog } from '../../src/db/audit-log.js';
import { StoreError } from '../../src/db/errors.js';
import { devices as deviceRegistry, type Devices } from '../../src/modules/devices/devices.js';
import { leaves } from '../../src/modules/leaves/index.js';
import { leafStore } from '../../src/modules/leaves/store.js';
import { readingIntake, type ReadingIntake } from '../../src/modules/readings/intake.js';
import { systemClock } from '../../src/platform/clock.js';
import type { WriteContext } from '../../src/platform/write.js';
import { testDatabases, useDatabase } from '../support/postgres.js';
import { TestDevice } from './devices.js';

const targets = await testDatabases();

const entry = { requestId: 'test', identityId: 'custodian.device-gateway', method: 'POST', path: '/v1/evidence', txName: 'SubmitEvidence', txId: null, blockNumber: null, status: 200, idempotencyKey: null };

for (const target of targets) {
  describe(`Evidence store on ${target.name}`, function () {
    this.timeout(60_000);
    const database = useDatabase(target);
    let modules: { readonly devices: Devices; readonly intake: ReadingIntake; readonly context: WriteContext } | undefined;
    before(() => {
      const db = database();
      const devices = deviceRegistry(db);
      const context: WriteContext = { submittedBy: 'custodian.device-gateway', requestId: 'test', record: (tx) => auditLog(db).append(entry, tx) };
      modules = { devices, intake: readingIntake({ db, devices, leaves: leaves(db), clock: systemClock, clockSkewMs: 300_000, maxAgeMs: 86_400_000 }), context };
    });
    const svc = () => {
      if (modules === undefined) throw new Error('no modules');
      return modules;
    };

    it('concurrent batches of many devices get leaf indices 0..n-1 in commit order, without a gap or a duplicate', async () => {
      const devices = Array.from({ length: 8 }, (_, n) => new TestDevice(`STORE-${n.toString()}`, n % 2 === 0 ? 'Ed25519' : 'ECDSA-P256'));
      for (const device of devices) {
        await svc().devices.register({ id: device.id, warehouseId: 'WH-1', kind: 'temperature', algorithm: device.algorithm, publicKey: device.publicKeyPem }, svc().context);
      }
      // every device sends three batches at once, one of them with a bad item, while the others send theirs
      const batches = devices.flatMap((device) => [1, 2, 3].map((round) => [device.item(round * 10), device.item(round * 10 + 1), { ...device.item(round * 10 + 2), signature: 'AAAA' }]));
      const results = await Promise.all(batches.map((items) => svc().intake.submitBatch(items, svc().context)));
      const indices = results.flatMap((result) => result.items.flatMap((item) => (item.status === 'accepted' ? [item.leafIndex] : [])));
      expect([...indices].sort((a, b) => a - b)).to.deep.equal(indices.map((_, n) => n));
      for (const result of results) {
        const accepted = result.items.flatMap((item) => (item.status === 'accepted' ? [item.leafIndex] : []));
        // one batch's leaves are consecutive: no other batch's leaf lands between them
        expect(accepted, 'a batch takes a consecutive run').to.deep.equal(accepted.map((_, n) => (accepted[0] ?? 0) + n));
      }
      const leaves = await leafStore(database()).unanchoredLeaves(0, 1000);
      expect(leaves.map((leaf) => leaf.leafIndex)).to.deep.equal(indices.map((_, n) => n));
    });

    it('unanchoredLeaves pages in leaf order; assignCheckpoint takes a whole range once, or nothing', async () => {
      const store = leafStore(database());
      const first = await store.unanchoredLeaves(0, 3);
      expect(first.map((leaf) => leaf.leafIndex)).to.deep.equal([0, 1, 2]);
      for (const leaf of first) expect(leaf.leafHash).to.match(/^0x[0-9a-f]{64}$/);
      expect((await store.unanchoredLeaves(2, 2)).map((leaf) => leaf.leafIndex)).to.deep.equal([2, 3]);

      await store.assignCheckpoint(0, 0, 3);
      expect((await store.evidenceById(first[0]?.id ?? ''))?.checkpointSeq).to.equal(0);
      expect((await store.unanchoredLeaves(0, 2)).map((leaf) => leaf.leafIndex)).to.deep.equal([3, 4]);

      // overlapping an anchored leaf, or running past the last one: refused, and nothing of the range changes
      for (const [seq, from, count] of [
        [1, 2, 3],
        [1, 3, 100_000],
      ] as const) {
        const error: unknown = await store.assignCheckpoint(seq, from, count).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).to.be.instanceOf(StoreError);
        expect((error as StoreError).code).to.equal('INVALID_ARGUMENT');
      }
      expect((await store.unanchoredLeaves(0, 1))[0]?.leafIndex).to.equal(3);
    });

    it('the database refuses to change or delete a leaf; only checkpoint_seq may be set, once', async () => {
      const [leaf] = await leafStore(database()).unanchoredLeaves(0, 1);
      const refused = async (sql: string, params: unknown[] = [leaf?.id]): Promise<void> => {
        const error: unknown = await database()
          .query(sql, params)
          .then(
            () => undefined,
            (caught: unknown) => caught,
          );
        expect(error, sql).to.be.instanceOf(Error);
      };
      await refused(`UPDATE evidence SET record_jcs = '{}' WHERE id = $1`);
      await refused(`UPDATE evidence SET leaf_index = leaf_index + 1000 WHERE id = $1`);
      await refused('DELETE FROM evidence WHERE id = $1');
      await refused('UPDATE evidence SET checkpoint_seq = 7 WHERE checkpoint_seq = 0', []);
      const stored = await leafStore(database()).evidenceById(leaf?.id ?? '');
      expect(stored?.leafIndex).to.equal(leaf?.leafIndex);
      expect(stored?.checkpointSeq).to.equal(null);
    });
  });
}
