import { liveStatuses } from '@wr/chaincode/transitions';
import type { Database, Queryable } from '../../db/database.js';
import type { Caller } from '../../http/auth.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteContext } from '../../platform/write.js';
import { supervisionVisibility, viewerOf } from '../access.js';
import { EvidenceError } from '../errors.js';
import { ruleHash, type RuleDefinition } from './definition.js';
import { ruleStore, scopeOf, type StoredRuleVersion } from './store.js';
import { templateRules, type TemplateName } from './templates.js';

/** A rule as the API shows it: its latest version, and how many there are. */
export interface RuleView extends StoredRuleVersion {
  readonly versions: number;
}

/** The supervision rules: who may set them, their versions, and the defaults a new warehouse starts with. */
export interface Rules {
  create(definition: RuleDefinition, caller: Caller, context: WriteContext): Promise<RuleView>;
  /** A new version of the caller's own rule; RULE_NOT_OWNED for another party's. */
  addVersion(ruleId: string, definition: RuleDefinition, caller: Caller, context: WriteContext): Promise<RuleView>;
  /** Retires the caller's own rule (a version of its own, so what the rule raised before keeps its version). */
  retire(ruleId: string, caller: Caller, context: WriteContext): Promise<RuleView>;
  /** RULE_NOT_FOUND when there is none or the caller may not see it. */
  get(ruleId: string, caller: Caller): Promise<{ readonly rule: RuleView; readonly history: StoredRuleVersion[] }>;
  list(caller: Caller, filter: { readonly after?: string | undefined; readonly limit: number }): Promise<{ readonly items: RuleView[]; readonly next: string | null }>;
  /** Gives each warehouse with devices and no rules yet the default templates, once; returns the warehouses given them. */
  applyDefaults(tx: Queryable, templates: readonly TemplateName[], custodianMspId: string): Promise<string[]>;
}

/** Who set the default rules of a warehouse. */
export const DEFAULTS_AUTHOR = 'service.supervision';

/**
 * Whether a caller may see a rule: the custodian sees every rule; a lender or borrower the rules that apply to a lot
 * it can see (set on the lot, its warehouse or its commodity), and its own.
 */
function ruleVisibility(caller: Caller, param: (value: unknown) => string): string {
  const viewer = viewerOf(caller);
  const lots = supervisionVisibility(viewer, 'lot.lot_id', param);
  if (lots === 'true' || lots === 'false') return lots;
  return `(owner_msp = ${param(viewer.mspId)} OR EXISTS (SELECT 1 FROM receipts lot WHERE ${lots} AND (
    (scope_type = 'lot' AND scope_value = lot.lot_id) OR (scope_type = 'warehouse' AND scope_value = lot.warehouse_id)
    OR (scope_type = 'commodity' AND scope_value = lot.commodity))))`;
}

export function rules(db: Database, clock: Clock): Rules {
  const view = (versions: StoredRuleVersion[]): RuleView => {
    const latest = versions.at(-1);
    if (latest === undefined) throw new Error('a rule without versions');
    return { ...latest, versions: versions.length };
  };

  /** Only the custodian's supervisor sets rules anywhere; a lender only on lots under its live pledges. */
  async function checkScope(tx: Queryable, definition: RuleDefinition, caller: Caller): Promise<void> {
    const { org, role, mspId } = caller.record;
    if (org === 'custodian' && role === 'supervisor') return;
    const scope = scopeOf(definition);
    if (org === 'lender' && (role === 'officer' || role === 'approver') && scope.type === 'lot') {
      const rows = await tx.query('SELECT 1 FROM receipts WHERE lot_id = $1 AND pledge_lender = $2 AND status = ANY($3::text[]) LIMIT 1', [
        scope.value,
        mspId,
        [...liveStatuses],
      ]);
      if (rows.length === 1) return;
    }
    throw new EvidenceError('RULE_SCOPE_FORBIDDEN', "a custodian supervisor sets rules; a lender's officer or approver adds them only on a lot under its live pledge");
  }

  async function visibleVersions(ruleId: string, caller: Caller): Promise<StoredRuleVersion[]> {
    const params: unknown[] = [ruleId];
    const param = (value: unknown): string => `$${params.push(value).toString()}`;
    const rows = await db.query(`SELECT 1 FROM rule_versions WHERE rule_id = $1 AND version = 1 AND ${ruleVisibility(caller, param)}`, params);
    if (rows.length === 0) throw new EvidenceError('RULE_NOT_FOUND', `no rule ${ruleId}`);
    return ruleStore(db).versions(ruleId);
  }

  /** Adds the next version of an existing rule the caller owns (under the rule's lock). */
  async function nextVersion(ruleId: string, caller: Caller, context: WriteContext, make: (latest: StoredRuleVersion) => { definition: RuleDefinition; retired: boolean }): Promise<RuleView> {
    await visibleVersions(ruleId, caller);
    return db.transaction(async (tx) => {
      const store = ruleStore(tx);
      await store.lockRule(ruleId);
      const versions = await store.versions(ruleId);
      const latest = versions.at(-1);
      if (latest === undefined) throw new EvidenceError('RULE_NOT_FOUND', `no rule ${ruleId}`);
      if (latest.owner.mspId !== caller.record.mspId) {
        throw new EvidenceError('RULE_NOT_OWNED', `rule ${ruleId} was set by ${latest.owner.mspId}: only it may change or retire it`);
      }
      if (latest.retired) throw new EvidenceError('RULE_RETIRED', `rule ${ruleId} is retired`);
      const { definition, retired } = make(latest);
      if (!retired) await checkScope(tx, definition, caller);
      const hash = ruleHash(definition);
      if (!retired && hash === latest.hash) throw new EvidenceError('RULE_UNCHANGED', `version ${latest.version.toString()} of rule ${ruleId} already has this definition`);
      const added = await store.insert({
        ruleId,
        version: latest.version + 1,
        hash,
        definition,
        owner: { mspId: caller.record.mspId, userId: caller.id },
        createdAt: clock.now().toISOString(),
        retired,
      });
      await context.record(tx);
      return view([...versions, added]);
    });
  }

  return {
    async create(definition, caller, context) {
      return db.transaction(async (tx) => {
        const store = ruleStore(tx);
        await store.lockRule(definition.id);
        await checkScope(tx, definition, caller);
        if ((await store.versions(definition.id)).length > 0) throw new EvidenceError('RULE_EXISTS', `rule ${definition.id} exists: add a version instead (POST /v1/rules/${definition.id}/versions)`);
        const created = await store.insert({
          ruleId: definition.id,
          version: 1,
          hash: ruleHash(definition),
          definition,
          owner: { mspId: caller.record.mspId, userId: caller.id },
          createdAt: clock.now().toISOString(),
          retired: false,
        });
        await context.record(tx);
        return view([created]);
      });
    },

    async addVersion(ruleId, definition, caller, context) {
      if (definition.id !== ruleId) throw new EvidenceError('RULE_ID_MISMATCH', `the body's id ${definition.id} is not the rule ${ruleId} of the path`);
      return nextVersion(ruleId, caller, context, () => ({ definition, retired: false }));
    },

    async retire(ruleId, caller, context) {
      return nextVersion(ruleId, caller, context, (latest) => ({ definition: latest.definition, retired: true }));
    },

    async get(ruleId, caller) {
      const history = await visibleVersions(ruleId, caller);
      return { rule: view(history), history };
    },

    async list(caller, { after, limit }) {
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value).toString()}`;
      const conditions = [ruleVisibility(caller, param)];
      if (after !== undefined) conditions.push(`rule_id > ${param(after)}`);
      const ids = await db.query(
        `SELECT DISTINCT rule_id FROM rule_versions WHERE version = 1 AND ${conditions.join(' AND ')} ORDER BY rule_id LIMIT ${param(limit + 1)}`,
        params,
      );
      const page = ids.slice(0, limit).map((row) => String((row as { rule_id: string }).rule_id));
      const store = ruleStore(db);
      const items: RuleView[] = [];
      for (const id of page) items.push(view(await store.versions(id)));
      return { items, next: ids.length > limit ? (page.at(-1) ?? null) : null };
    },

    async applyDefaults(tx, templates, custodianMspId) {
      const store = ruleStore(tx);
      const given: string[] = [];
      for (const warehouseId of await store.warehousesWithoutDefaults()) {
        const at = clock.now();
        if (!(await store.markDefaults(warehouseId, templates, at))) continue;
        for (const template of templates) {
          for (const definition of templateRules(template, { warehouseId })) {
            // A rule of that id set by hand before the warehouse's first device wins: the default is not forced on it.
            if ((await store.versions(definition.id)).length > 0) continue;
            await store.insert({
              ruleId: definition.id,
              version: 1,
              hash: ruleHash(definition),
              definition,
              owner: { mspId: custodianMspId, userId: DEFAULTS_AUTHOR },
              createdAt: at.toISOString(),
              retired: false,
            });
          }
        }
        given.push(warehouseId);
      }
      return given;
    },
  };
}
