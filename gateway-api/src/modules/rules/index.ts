import { orgKinds } from '@wr/chaincode/roles';
import { serve } from '../../http/operation.js';
import { orNothing } from '../../registry/receipt-registry.js';
import { supervisionSpec } from '../alarms/index.js';
import { startLoop } from '../../platform/loop.js';
import { defineModule } from '../../platform/module.js';
import { evaluation } from './evaluation.js';
import { operations } from './operations.js';
import { rules as ruleService, type Rules } from './rules.js';

export { ruleDefinition, ruleHash, severityRank, type RuleDefinition, type RuleVersion } from './definition.js';
export { replay, type ReplayResult } from './evaluation.js';
export { operations as ruleOperations } from './operations.js';
export { type Rules } from './rules.js';

/** What the rules module offers: the rules, and for tests and operators, waiting until every reading is evaluated. */
export interface RulesApi {
  readonly rules: Rules;
  /** Resolves once every reading accepted before the call has been evaluated. */
  evaluated(timeoutMs?: number): Promise<void>;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    rules: RulesApi;
  }
}

/** The custodian organisation's MSP: it owns the default rules it gives its warehouses. */
const custodianMspId = Object.entries(orgKinds).find(([, kind]) => kind === 'custodian')?.[0] ?? 'CustodianMSP';

/**
 * Supervision rules (监管策略): versioned definitions, the default cold-chain templates, and the evaluation loop that
 * feeds every accepted reading through the engine in leaf order and hands what it raises to the alarms module.
 */
export const rulesModule = defineModule('rules', { migrations: ['008_rules_versions'] }, async (ctx) => {
  const rules = ruleService(ctx.db, ctx.clock);
  const alarms = ctx.use('alarms');
  const identity = await ctx.serviceIdentity(supervisionSpec);
  /** A lot's commodity never changes on the ledger: each is read once. */
  const lotCommodities = new Map<string, string | null>();
  const commodityOf = async (lotIds: readonly string[]): Promise<Map<string, string | null>> => {
    for (const lotId of lotIds) {
      if (lotCommodities.has(lotId)) continue;
      const lot = await orNothing(ctx.registry.getLot(identity, lotId));
      // An unreadable lot is asked about again next time; only a found one is remembered.
      if (lot !== undefined) lotCommodities.set(lotId, lot.commodity);
    }
    return new Map(lotIds.map((lotId) => [lotId, lotCommodities.get(lotId) ?? null]));
  };
  const { supervision } = ctx.config;
  const evaluator = evaluation({
    db: ctx.db,
    clock: ctx.clock,
    batchSize: supervision.batchSize,
    tickMs: supervision.tickMs,
    commodityOf,
    beforeStep: async (tx) => {
      if (supervision.defaultTemplates.length > 0) await rules.applyDefaults(tx, supervision.defaultTemplates, custodianMspId);
    },
    record: (tx, changes, cursor) => alarms.record(tx, changes, cursor),
    committed: (changes) => alarms.committed(changes),
  });
  const waiting = new Set<() => void>();
  const loop = startLoop({
    name: 'rules',
    clock: ctx.clock,
    step: async () => {
      const outcome = await evaluator.step();
      for (const check of waiting) check();
      return outcome;
    },
    idleMs: supervision.tickMs,
    backoff: { initialMs: 200, maxMs: 10_000 },
    onError: (error, failure) => ctx.logger.error({ err: error, ...failure }, 'rule evaluation failed; retrying'),
  });
  const unsubscribe = ctx.use('readings').onAccepted(() => loop.wake());
  return {
    operations: serve(operations, { rules, db: ctx.db }),
    api: {
      rules,
      async evaluated(timeoutMs = 30_000) {
        const rows = await ctx.db.query("SELECT COALESCE(max(leaf_index), -1)::text AS head FROM evidence WHERE kind = 'device-reading'");
        const head = Number((rows[0] as { head: string }).head);
        if ((await evaluator.cursor()) >= head) return;
        await new Promise<void>((resolve, reject) => {
          const check = (): void => {
            void evaluator.cursor().then((cursor) => {
              if (cursor < head) return;
              clearTimeout(timer);
              waiting.delete(check);
              resolve();
            }, () => undefined);
          };
          const timer = setTimeout(() => {
            waiting.delete(check);
            reject(new Error(`readings up to leaf ${head.toString()} not evaluated within ${timeoutMs.toString()} ms`));
          }, timeoutMs);
          waiting.add(check);
          loop.wake();
        });
      },
    },
    health: async () => {
      const status = loop.status();
      return { rules: { status: status.state === 'failing' ? 'degraded' : 'up', state: status.state, evaluatedLeaf: await evaluator.cursor().catch(() => null), ...(status.lastError ? { error: status.lastError } : {}) } };
    },
    async stop() {
      unsubscribe();
      await loop.stop();
    },
  };
});
