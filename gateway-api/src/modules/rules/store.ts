import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { int8Number, parseOptionalRow, parseRows, timestamp } from '../../db/rows.js';
import { ruleDefinition, type RuleDefinition, type RuleVersion } from './definition.js';

/** A stored rule version, with where it applies (for the scope queries). */
export interface StoredRuleVersion extends RuleVersion {
  readonly scope: { readonly type: 'warehouse' | 'lot' | 'commodity'; readonly value: string };
}

const versionRow = z
  .object({
    rule_id: z.string(),
    version: z.number().int(),
    hash: z.string(),
    definition: z.unknown(),
    scope_type: z.enum(['warehouse', 'lot', 'commodity']),
    scope_value: z.string(),
    owner_msp: z.string(),
    created_by: z.string(),
    created_at: timestamp,
    retired: z.boolean(),
  })
  .transform(
    (row): StoredRuleVersion => ({
      ruleId: row.rule_id,
      version: row.version,
      hash: row.hash,
      definition: ruleDefinition.parse(row.definition),
      owner: { mspId: row.owner_msp, userId: row.created_by },
      createdAt: row.created_at.toISOString(),
      retired: row.retired,
      scope: { type: row.scope_type, value: row.scope_value },
    }),
  );

const columns = 'rule_id, version, hash, definition, scope_type, scope_value, owner_msp, created_by, created_at, retired';

/** Where a definition applies, as the scope columns keep it. */
export function scopeOf(definition: RuleDefinition): StoredRuleVersion['scope'] {
  const scope: Record<string, string | undefined> = definition.scope;
  if (scope.warehouseId !== undefined) return { type: 'warehouse', value: scope.warehouseId };
  if (scope.lotId !== undefined) return { type: 'lot', value: scope.lotId };
  if (scope.commodity !== undefined) return { type: 'commodity', value: scope.commodity };
  throw new Error('a rule definition without a scope passed the schema');
}

/** The rule versions table, and the defaults given to new warehouses. Over the database or an open transaction. */
export interface RuleStore {
  insert(version: Omit<StoredRuleVersion, 'scope'>): Promise<StoredRuleVersion>;
  /** Every version of a rule, oldest first; empty when there is no such rule. */
  versions(ruleId: string): Promise<StoredRuleVersion[]>;
  /** The latest version of each rule, in rule id order, after `after`, at most `limit`. */
  latest(filter: { readonly after?: string | undefined; readonly limit: number; readonly scope?: StoredRuleVersion['scope'] | undefined }): Promise<StoredRuleVersion[]>;
  /** The rule versions in force: the latest of each rule, unless retired; in rule id order. */
  inForce(): Promise<StoredRuleVersion[]>;
  /** A fingerprint of the rule versions table: changes whenever a version is added. */
  revision(): Promise<string>;
  /** Locks the rule's row set for a new version (serialises concurrent edits of one rule). */
  lockRule(ruleId: string): Promise<void>;
  /** The warehouses with active devices that were not yet given the defaults. */
  warehousesWithoutDefaults(): Promise<string[]>;
  markDefaults(warehouseId: string, templates: readonly string[], at: Date): Promise<boolean>;
}

export function ruleStore(db: Queryable): RuleStore {
  return {
    async insert(version) {
      const scope = scopeOf(version.definition);
      const rows = await db.query(
        `INSERT INTO rule_versions (rule_id, version, hash, definition, scope_type, scope_value, kind, severity, owner_msp, created_by, created_at, retired)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${columns}`,
        [
          version.ruleId,
          version.version,
          version.hash,
          JSON.stringify(version.definition),
          scope.type,
          scope.value,
          version.definition.kind,
          version.definition.severity,
          version.owner.mspId,
          version.owner.userId,
          version.createdAt,
          version.retired,
        ],
      );
      return versionRow.parse(rows[0]);
    },

    async versions(ruleId) {
      return parseRows(versionRow, await db.query(`SELECT ${columns} FROM rule_versions WHERE rule_id = $1 ORDER BY version`, [ruleId]));
    },

    async latest({ after, limit, scope }) {
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value).toString()}`;
      const conditions = ['true'];
      if (after !== undefined) conditions.push(`rule_id > ${param(after)}`);
      if (scope !== undefined) conditions.push(`scope_type = ${param(scope.type)} AND scope_value = ${param(scope.value)}`);
      return parseRows(
        versionRow,
        await db.query(
          `SELECT * FROM (SELECT DISTINCT ON (rule_id) ${columns} FROM rule_versions ORDER BY rule_id, version DESC) latest
           WHERE ${conditions.join(' AND ')} ORDER BY rule_id LIMIT ${param(limit)}`,
          params,
        ),
      );
    },

    async inForce() {
      return parseRows(
        versionRow,
        await db.query(
          `SELECT * FROM (SELECT DISTINCT ON (rule_id) ${columns} FROM rule_versions ORDER BY rule_id, version DESC) latest
           WHERE NOT retired ORDER BY rule_id`,
        ),
      );
    },

    async revision() {
      const row = parseOptionalRow(z.object({ n: int8Number, last: z.string().nullable() }), await db.query(
        `SELECT count(*)::text AS n, max(created_at)::text AS last FROM rule_versions`,
      ));
      return `${String(row?.n ?? 0)}@${row?.last ?? ''}`;
    },

    async lockRule(ruleId) {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rule:${ruleId}`]);
    },

    async warehousesWithoutDefaults() {
      const rows = await db.query(
        `SELECT DISTINCT d.warehouse_id FROM devices d
         WHERE d.active AND NOT EXISTS (SELECT 1 FROM rule_default_warehouses w WHERE w.warehouse_id = d.warehouse_id)
         ORDER BY d.warehouse_id`,
      );
      return parseRows(z.object({ warehouse_id: z.string() }), rows).map((row) => row.warehouse_id);
    },

    async markDefaults(warehouseId, templates, at) {
      const rows = await db.query(
        `INSERT INTO rule_default_warehouses (warehouse_id, templates, applied_at) VALUES ($1, $2, $3)
         ON CONFLICT (warehouse_id) DO NOTHING RETURNING warehouse_id`,
        [warehouseId, templates, at],
      );
      return rows.length === 1;
    },
  };
}
