import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import type { AlarmChange } from '../../src/modules/rules/engine/index.js';
import { evaluation, replay } from '../../src/modules/rules/evaluation.js';
import { ruleStore } from '../../src/modules/rules/store.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { testDatabases, useDatabase } from '../support/postgres.js';
import { versionOf } from './engine-log.js';

const targets = await testDatabases();

const warehouseId = 'WH-STEPS-01';
const deviceId = 'TEMP-STEPS-1';
const start = Date.parse('2026-11-30T00:00:00.000Z');

/** Appends accepted device envelopes as intake would leave them: leaves in order, the leaf counter moved past them. */
async function appendEnvelopes(db: Database, envelopes: readonly (readonly number[])[]): Promise<void> {
  await db.transaction(async (tx) => {
    const counter = await tx.query('SELECT next_leaf_index::text AS next FROM evidence_leaf_counter FOR UPDATE');
    const first = Number((counter[0] as { next: string }).next);
    for (const [offset, values] of envelopes.entries()) {
      const leaf = first + offset;
      const envelope = { deviceId, seq: leaf + 1, ts: new Date(start + leaf * 60_000).toISOString(), readings: values.map((value) => ({ sensor: 'probe-1', kind: 'temperature', value, unit: 'Cel' })) };
      const record = JSON.stringify({ kind: 'device-reading', envelope });
      await tx.query(
        `INSERT INTO evidence (id, kind, record, record_jcs, leaf_hash, leaf_index, device_id, device_seq, submitted_by, received_at)
         VALUES ($1, 'device-reading', $2, $3, $4, $5, $6, $7, 'test', now())`,
        [`ev-${leaf.toString()}`, record, record, createHash('sha256').update(record).digest(), leaf, deviceId, leaf + 1],
      );
    }
    await tx.query('UPDATE evidence_leaf_counter SET next_leaf_index = $1', [first + envelopes.length]);
  });
}

for (const target of targets) {
  describe(`The rules loop's steps on ${target.name}: bounded by readings and alarm changes, not envelopes`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);
    const recorded: AlarmChange[][] = [];
    const evaluator = (batchSize: number) =>
      evaluation({
        db: db(),
        clock: new ManualClock(new Date(start)),
        batchSize,
        tickMs: 3_600_000,
        commodityOf: (lotIds) => Promise.resolve(new Map(lotIds.map((lotId) => [lotId, null]))),
        record: async (tx, changes, cursor) => {
          recorded.push([...changes]);
          await tx.query('UPDATE rule_engine_state SET leaf_cursor = $1', [cursor]);
        },
      });

    before(async () => {
      await db().query("INSERT INTO devices (id, warehouse_id, kind, algorithm, public_key, created_by) VALUES ($1, $2, 'temperature', 'Ed25519', 'test', 'test')", [deviceId, warehouseId]);
      // Raises above 4 and clears at or below 3, at once: every envelope of 9 then 2 raises and clears.
      const version = versionOf({ id: 'steps-high', scope: { warehouseId }, kind: 'threshold', metric: 'temperature', severity: 'info', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 3 } });
      await ruleStore(db()).insert(version);
    });

    it('a step of 250 readings over envelopes of 100 ends after the third envelope', async () => {
      await appendEnvelopes(db(), Array.from({ length: 6 }, () => Array.from({ length: 100 }, () => 2)));
      const steps = evaluator(250);
      expect(await steps.step()).to.equal('more');
      expect(await steps.cursor()).to.equal(2);
      expect(await steps.step()).to.equal('more');
      expect(await steps.cursor()).to.equal(5);
      expect(await steps.step()).to.equal('idle');
      expect(await steps.cursor()).to.equal(5);
    });

    it('a step ends once it has raised about 500 alarm changes, and the next goes on where it stopped; replay finds the same changes', async () => {
      recorded.length = 0;
      // 400 envelopes of [9, 2]: 800 changes (raised, cleared) in 800 readings, under the readings limit of one step.
      await appendEnvelopes(db(), Array.from({ length: 400 }, () => [9, 2]));
      const steps = evaluator(10_000);
      expect(await steps.step()).to.equal('more');
      expect(recorded.at(-1)?.length).to.equal(500);
      expect(await steps.cursor()).to.equal(5 + 250);
      expect(await steps.step()).to.equal('idle');
      expect(recorded.at(-1)?.length).to.equal(300);
      expect(await steps.cursor()).to.equal(5 + 400);
      const replayed = await replay(db());
      expect(replayed.changes).to.equal(800);
    });
  });
}
